"""Building notification emails: one per outbox row, or one daily digest per mailbox.

Pure: no I/O, no clock of its own (callers pass `now`). The notifier (notifier/dispatcher.py) sends
what this builds. An email is built only from the row's kind and the payload keys in
`PAYLOAD_KEYS` (ids, codes, levels, instants), so it can carry no child's name or concern text
even if one reached a payload; everything else about the case is behind the link, where the
API checks who is asking.

Message-IDs are derived, never random: `<{notification_id}@frontdoor>` for a row, and one per
(mailbox, digest instant) for a digest, so a resend after a crash carries the same Message-ID
and the recipient's mail system can see it is a duplicate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from uuid import UUID, uuid5

from domain.calendar import LONDON
from domain.notifications import PAYLOAD_KEYS
from store.notification import Notification

MESSAGE_ID_DOMAIN = "frontdoor"

# Fixed forever: changing it would give a resent digest a new Message-ID.
DIGEST_NAMESPACE = UUID("0f9b6a52-8d1e-4c1f-9a53-6f3c2e7d4b10")

# The lines of a body, in order. Keys outside PAYLOAD_KEYS are never shown, whatever a row holds.
LABELS: tuple[tuple[str, str], ...] = (
    ("referral_id", "Referral"),
    ("task_kind", "Task"),
    ("task_id", "Task id"),
    ("step", "Step"),
    ("stage", "Stage"),
    ("agency", "Agency"),
    ("level", "Escalation level"),
    ("role", "Escalated to"),
    ("rag", "RAG rating"),
    ("outcome", "Outcome"),
    ("risk", "Exploitation risk"),
    ("due_at", "Due"),
)

TITLES = {
    "task_opened": "New task",
    "reminder": "Reminder",
    "escalation": "Escalation",
    "referrer_told": "Tell the referrer the outcome",
    "check_outcome": "The outcome of a contact whose check you answered",
    "mace_invitation": "You are invited to a MACE discussion",
    "exploitation_risk": "Exploitation risk",
}

# Payload values are ids, codes and instants, and are shown only if they look like one: a value
# that is anything else (a name slipped into `outcome`, say) is left out of the email, not cut
# down, so free text can never reach a mailbox however it got into a row.
_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
_IDS = frozenset({"referral_id", "task_id"})

FOOTER = (
    "This message holds no personal details: open the case to see them.\n"
    "Sent by Front Door; replies to this address are not read."
)


def message_id_for(notification_id: UUID) -> str:
    """The Message-ID of the email for one outbox row: the same on every resend."""
    return f"<{notification_id}@{MESSAGE_ID_DOMAIN}>"


def digest_message_id(mailbox: str, digest_at: datetime) -> str:
    """The Message-ID of `mailbox`'s digest due at `digest_at`: the same on every resend."""
    key = uuid5(DIGEST_NAMESPACE, f"{mailbox.lower()}\n{digest_at.isoformat()}")
    return f"<digest-{key}@{MESSAGE_ID_DOMAIN}>"


def _when(value: Any) -> str | None:
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if instant.tzinfo is None:
        return None
    return instant.astimezone(LONDON).strftime("%a %d %b %Y, %H:%M (UK time)")


def shown(key: str, value: Any) -> str | None:
    """`value` of payload key `key` as an email shows it, or None if it is not an id, a code, a
    level or an instant (or the key is not an allowed one)."""
    if key not in PAYLOAD_KEYS or value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)
    if key == "due_at":
        return _when(text)
    if key in _IDS:
        return text.lower() if _ID.match(text) else None
    if key == "level":
        return text if text.isdigit() and len(text) <= 2 else None
    return text.replace("_", " ") if _CODE.match(text) else None


def case_link(public_base_url: str, referral_id: Any) -> str | None:
    """Where staff open the case; None without a well-formed referral id."""
    shown_id = shown("referral_id", referral_id)
    return f"{public_base_url.rstrip('/')}/referrals/{shown_id}" if shown_id else None


def payload_lines(payload: dict[str, Any]) -> list[str]:
    """`Label: value` for each allowed key the payload holds a showable value for, in order."""
    lines = []
    for key, label in LABELS:
        value = shown(key, payload.get(key))
        if value is not None:
            lines.append(f"{label}: {value}")
    return lines


def title(notice: Notification) -> str:
    """One line saying what happened, from the kind and codes only."""
    payload = notice.payload
    kind = notice.kind if _CODE.match(notice.kind) else "notification"
    base = TITLES.get(kind, kind.replace("_", " ").capitalize())
    level, task = shown("level", payload.get("level")), shown("task_kind", payload.get("task_kind"))
    agency, due = shown("agency", payload.get("agency")), shown("due_at", payload.get("due_at"))
    if kind == "escalation" and level is not None:
        base = f"Escalation level {level}"
    if task and kind in {"task_opened", "reminder", "escalation"}:
        base = f"{base}: {task}" + (f" ({agency})" if agency else "")
    if due and kind in {"reminder", "escalation"}:
        base = f"{base}, due {due}"
    return base


def _block(notice: Notification, public_base_url: str) -> list[str]:
    lines = payload_lines(notice.payload)
    link = case_link(public_base_url, notice.payload.get("referral_id"))
    if link:
        lines.append(f"Open the case: {link}")
    lines.append(f"Notification: {notice.notification_id}")
    return lines


def _headers(
    message: EmailMessage, *, sender: str, to: str, subject: str, message_id: str, now: datetime
) -> None:
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    # RFC 3834: an automatic message; out-of-office replies should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"


def build_message(
    notice: Notification, *, sender: str, to: str, public_base_url: str, now: datetime
) -> EmailMessage:
    """The email for one outbox row."""
    heading = title(notice)
    referral = (shown("referral_id", notice.payload.get("referral_id")) or "")[:8]
    subject = f"Front Door: {heading}" + (f" [referral {referral}]" if referral else "")
    message = EmailMessage()
    _headers(
        message,
        sender=sender,
        to=to,
        subject=subject,
        message_id=message_id_for(notice.notification_id),
        now=now,
    )
    message["X-Frontdoor-Kind"] = notice.kind if _CODE.match(notice.kind) else "notification"
    body = [heading, "", *_block(notice, public_base_url), "", FOOTER]
    message.set_content("\n".join(body) + "\n")
    return message


def build_digest(
    notices: Sequence[Notification],
    *,
    sender: str,
    to: str,
    public_base_url: str,
    digest_at: datetime,
    now: datetime,
) -> EmailMessage:
    """One email gathering `notices` (oldest first) for the digest due at `digest_at`."""
    day = digest_at.astimezone(LONDON).strftime("%a %d %b %Y")
    count = len(notices)
    heading = f"Front Door daily digest for {day}: {count} notification{'s' if count != 1 else ''}"
    message = EmailMessage()
    _headers(
        message,
        sender=sender,
        to=to,
        subject=heading,
        message_id=digest_message_id(to, digest_at),
        now=now,
    )
    message["X-Frontdoor-Kind"] = "digest"
    body = [heading, ""]
    for number, notice in enumerate(notices, start=1):
        body += [
            f"{number}. {title(notice)}",
            *(f"   {line}" for line in _block(notice, public_base_url)),
            "",
        ]
    body.append(FOOTER)
    message.set_content("\n".join(body) + "\n")
    return message
