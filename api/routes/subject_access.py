"""`GET /referrals/{id}/subject-access`: everything held about the child of a referral, across
their referrals, for managers and records officers answering a subject access request; as JSON,
or as a page to read and print (`?format=html`: no script, nothing loaded from elsewhere, the
values marked for redaction printed as black bars with the reason beside them). The page's
chronology, each referral's audit steps and recorded entries in order, is put together here.

The export is itself an access to the case: the access log records it like any other request,
so it shows in the access trail of the next export.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from api.deps import PoolDep, RecordsStaff, SealerDep
from api.errors import ErrorResponse
from api.pages import templates
from api.subject_access import ReferralHeld, SubjectAccessExport, subject_access
from domain.calendar import LONDON

router = APIRouter(
    prefix="/referrals",
    tags=["records"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        410: {"model": ErrorResponse, "description": "the named referral was disposed of"},
    },
)

_NOT_KEPT = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_PAGE_HEADERS = {
    **_NOT_KEPT,
    # Styles inline, nothing else: no script, no image, no font, no form.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
}


class ExportFormat(StrEnum):
    json = "json"
    html = "html"


@router.get(
    "/{referral_id}/subject-access",
    response_model=SubjectAccessExport,
    responses={200: {"content": {"text/html": {}}, "description": "the export (JSON or HTML)"}},
)
async def subject_access_export(
    referral_id: UUID,
    user: RecordsStaff,
    pool: PoolDep,
    sealer: SealerDep,
    format_: Annotated[
        ExportFormat, Query(alias="format", description="json, or html for a page to print")
    ] = ExportFormat.json,
) -> Response:
    """Everything held about this referral's child across all their referrals: codes, intake,
    every entry of the record, tasks, the audit trail and the access trail; the referrer's
    identity marked for redaction."""
    export = await subject_access(pool, sealer, referral_id, user)
    if format_ is ExportFormat.json:
        return JSONResponse(export.model_dump(mode="json"), headers=_NOT_KEPT)
    page = (
        templates()
        .get_template("subject_access.html")
        .render(export=export, chronology_of=chronology_of, london=LONDON)
    )
    disposition = f'inline; filename="subject-access-{referral_id}.html"'
    return HTMLResponse(page, headers={**_PAGE_HEADERS, "Content-Disposition": disposition})


class ChronologyLine(BaseModel):
    """A line of a referral's chronology on the printed page: a step of the process (from the
    audit trail, its codes in words) or something recorded (an entry, by its id)."""

    at: datetime
    what: str
    actor: str | None
    entry_id: int | None = None
    detail: str = ""


def chronology_of(referral: ReferralHeld) -> list[ChronologyLine]:
    """What happened and what was recorded on the referral, in order."""
    lines = [
        ChronologyLine(at=e.occurred_at, what=e.kind, actor=e.actor, detail=_in_words(e.details))
        for e in referral.audit
    ] + [
        ChronologyLine(
            at=e.at,
            what=f"recorded {e.body.get('task_kind', e.kind.value)}",
            actor=e.actor,
            entry_id=e.entry_id,
        )
        for e in referral.entries
    ]
    if referral.intake is not None:
        lines.append(
            ChronologyLine(at=referral.intake.received_at, what="recorded intake", actor=None)
        )
    return sorted(lines, key=lambda line: line.at)


def _in_words(details: dict[str, Any], sep: str = "; ") -> str:
    """An audit event's codes as a reader wants them: ids and instants left out (the JSON export
    has them all), nothing unset."""
    parts = []
    for key, value in details.items():
        if key.endswith(("_id", "_at")):
            continue
        if isinstance(value, dict):
            inner = _in_words(value, ", ")
            shown = f"({inner})" if inner else ""
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            shown = "yes" if value else "no"
        else:
            shown = "" if value is None else str(value)
        if shown:
            parts.append(f"{key} {shown}".replace("_", " "))
    return sep.join(parts)
