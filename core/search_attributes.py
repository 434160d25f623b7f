"""The search attributes a referral publishes. None of them carries personal data: Temporal
stores them unencrypted and lets anyone with visibility access filter on them."""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey

STAGE = SearchAttributeKey.for_keyword("Stage")
RAG = SearchAttributeKey.for_keyword("Rag")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
NEXT_DUE_AT = SearchAttributeKey.for_datetime("NextDueAt")
OVERDUE = SearchAttributeKey.for_bool("Overdue")
RE_REFERRAL = SearchAttributeKey.for_bool("ReReferral")

ALL: tuple[SearchAttributeKey[Any], ...] = (
    STAGE,
    RAG,
    ESCALATION_LEVEL,
    NEXT_DUE_AT,
    OVERDUE,
    RE_REFERRAL,
)
