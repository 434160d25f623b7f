"""The audit programme's work behind the routes (api/routes/audits.py): drawing and assigning a
sample, saving the form, moderation and learning actions, each in one transaction. What auditors
write is sealed here before it is stored (core/sealing.py), and opened only for the people the
routes let see the audit; it is never logged."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg

from api.auth import StaffRole, User
from api.errors import ApiError
from api.models import audits as m
from core.logs import get_logger
from core.sealing import RecordSealer, Sealed
from domain.calendar import LONDON
from domain.quality import ActionStatus, AuditStatus, NoAuditorError, assign, draw_sample
from store import audit as audit_store
from store import audit_answer, audit_moderation, audit_sample, learning_action, staff
from store import task as task_store
from store.audit import DISPOSED_KEY, StoredAudit, audit_binding
from store.learning_action import StoredAction
from store.pool import Conn

log = get_logger(__name__)


def invalid(field: str, problem: str) -> ApiError:
    return ApiError(
        422, "invalid_request", f"the request is invalid: {field} {problem}",
        [{"field": field, "problem": problem}],
    )  # fmt: skip


def _seal(sealer: RecordSealer, audit_id: UUID, part: str, text: str) -> Sealed:
    return sealer.seal(text.encode(), bound_to=audit_binding(audit_id, part))


def _open(sealer: RecordSealer, audit_id: UUID, part: str, sealed: Sealed | None) -> str | None:
    if sealed is None:
        return None
    if sealed.key_id == DISPOSED_KEY:
        return "(disposed of with the case record)"
    return sealer.open(sealed, bound_to=audit_binding(audit_id, part)).decode()


async def worked_by(conn: Conn, referral_id: UUID) -> set[str]:
    """Who worked a case: completed or held any of its tasks."""
    tasks = await task_store.tasks_of_referral(conn, referral_id)
    return {p for t in tasks for p in (t.completed_by, t.assignee) if p is not None}


def row_of(audit: StoredAudit) -> m.AuditRow:
    return m.AuditRow(
        audit_id=audit.audit_id, sample_id=audit.sample_id, referral_id=audit.referral_id,
        reasons=audit.reasons, auditor=audit.auditor, to_moderate=audit.to_moderate,
        status=audit.status, overall_grade=audit.overall_grade, assigned_at=audit.assigned_at,
        submitted_at=audit.submitted_at,
    )  # fmt: skip


def action_view(action: StoredAction, today: date | None = None) -> m.ActionView:
    today = today or datetime.now(UTC).astimezone(LONDON).date()
    return m.ActionView(
        action_id=action.action_id, audit_id=action.audit_id, action=action.action,
        owner=action.owner, due_on=action.due_on, status=action.status,
        overdue=action.status is ActionStatus.open and action.due_on < today,
        created_by=action.created_by, done_at=action.done_at,
    )  # fmt: skip


async def draw(
    pool: asyncpg.Pool, user: User, body: m.DrawSample, *, sample_id: UUID | None = None
) -> m.SampleView:
    """Draw the month's sample from the recorded (or a new) seed and assign every case to an
    auditor who did not work it; all or nothing. `sample_id` (the caller's Idempotency-Key's
    own) makes a second draw of it fail on the sample's primary key, drawing nothing."""
    seed = body.seed if body.seed is not None else secrets.randbelow(2**62)
    sample_id = sample_id or uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        candidates = await audit_sample.closed_in_month(conn, body.first_day)
        picks = draw_sample(candidates, body.rules, seed)
        auditors = body.auditors or await staff.with_roles(
            conn, [StaffRole.auditor.value, StaffRole.manager.value]
        )
        worked = {p.referral_id: await worked_by(conn, p.referral_id) for p in picks}
        try:
            chosen = assign(picks, auditors, worked)
        except NoAuditorError as err:
            raise ApiError(409, "no_auditor", str(err), [{"field": "auditors"}]) from err
        await audit_sample.insert_sample(
            conn, sample_id=sample_id, month=body.first_day, seed=seed, rules=body.rules,
            drawn_by=user.user_id,
        )  # fmt: skip
        for pick in picks:
            await audit_store.insert_audit(
                conn, audit_id=uuid.uuid4(), sample_id=sample_id, referral_id=pick.referral_id,
                reasons=list(pick.reasons), auditor=chosen[pick.referral_id],
                to_moderate=pick.to_moderate,
            )  # fmt: skip
        audits = await audit_store.audits_of_sample(conn, sample_id)
    log.info("audit_sample_drawn", sample_id=str(sample_id), month=body.month, audits=len(audits))
    return m.SampleView(
        sample_id=sample_id, month=body.month, seed=seed, rules=body.rules,
        drawn_by=user.user_id, candidates=len(candidates), audits=[row_of(a) for a in audits],
    )  # fmt: skip


async def audit_or_404(conn: Conn, audit_id: UUID) -> StoredAudit:
    audit = await audit_store.get_audit(conn, audit_id)
    if audit is None:
        raise ApiError(404, "not_found", f"audit {audit_id} was not found")
    return audit


async def may_moderate(conn: Conn, user: User, audit: StoredAudit) -> bool:
    """A second auditor may moderate a submitted audit marked for it, if they did not do the
    audit nor work the case."""
    return (
        audit.to_moderate
        and audit.status is not AuditStatus.assigned
        and user.user_id != audit.auditor
        and user.user_id not in await worked_by(conn, audit.referral_id)
    )


async def visible_or_none(conn: Conn, user: User, audit: StoredAudit) -> bool:
    """Whether an auditor's list shows the audit: their own, or one they may moderate."""
    return audit.auditor == user.user_id or await may_moderate(conn, user, audit)


async def visible_audit(conn: Conn, user: User, audit_id: UUID) -> StoredAudit:
    """The audit if the caller audits or may moderate it, or is a manager; 403 otherwise."""
    audit = await audit_or_404(conn, audit_id)
    if user.user_id == audit.auditor or user.has(StaffRole.manager):
        return audit
    if await may_moderate(conn, user, audit):
        return audit
    raise ApiError(403, "forbidden", f"audit {audit_id} is assigned to someone else")


async def details(
    conn: Conn, sealer: RecordSealer, audit: StoredAudit
) -> tuple[list[m.Answer], str | None, m.ModerationView | None, list[m.ActionView]]:
    """The audit's answers, rationale, moderation and actions, opened."""
    answers = [
        m.Answer(
            question=a.question,
            grade=a.grade,
            evidence=_open(sealer, audit.audit_id, a.question.value, a.evidence) or "",
        )
        for a in await audit_answer.answers_of(conn, audit.audit_id)
    ]
    rationale = _open(sealer, audit.audit_id, "rationale", audit.rationale)
    stored = await audit_moderation.get_moderation(conn, audit.audit_id)
    moderation = None
    if stored is not None:
        moderation = m.ModerationView(
            moderator=stored.moderator, grade=stored.grade, agrees=stored.agrees,
            resolved_grade=stored.resolved_grade, moderated_at=stored.moderated_at,
            resolution=_open(sealer, audit.audit_id, "resolution", stored.resolution),
        )  # fmt: skip
    actions = [action_view(a) for a in await learning_action.actions_of_audit(conn, audit.audit_id)]
    return answers, rationale, moderation, actions


async def save_form(
    pool: asyncpg.Pool, sealer: RecordSealer, user: User, audit_id: UUID, form: m.AuditForm
) -> None:
    """Save the whole form and submit the audit: only its auditor, until it is moderated."""
    async with pool.acquire() as conn, conn.transaction():
        audit = await audit_or_404(conn, audit_id)
        if audit.auditor != user.user_id:
            raise ApiError(403, "forbidden", f"audit {audit_id} is assigned to {audit.auditor}")
        if audit.status is AuditStatus.moderated:
            raise ApiError(409, "conflict", f"audit {audit_id} was moderated; it is kept as it is")
        stored = [
            audit_answer.StoredAnswer(
                a.question, a.grade, _seal(sealer, audit_id, a.question.value, a.evidence)
            )
            for a in form.answers
        ]
        await audit_answer.put_answers(conn, audit_id, stored)
        await audit_store.submit(
            conn, audit_id, grade=form.overall_grade, now=datetime.now(UTC),
            rationale=_seal(sealer, audit_id, "rationale", form.rationale),
        )  # fmt: skip
    log.info("audit_submitted", audit_id=str(audit_id))


async def moderate(
    pool: asyncpg.Pool, sealer: RecordSealer, user: User, audit_id: UUID, form: m.ModerationForm
) -> None:
    """Record a second auditor's moderation; a disagreement keeps both grades and the
    resolution, and the first auditor's answers stay as they were."""
    if not form.agrees:
        if form.resolved_grade is None:
            raise invalid("resolved_grade", "is needed when the moderator disagrees")
        if form.resolution is None:
            raise invalid("resolution", "is needed when the moderator disagrees")
    async with pool.acquire() as conn, conn.transaction():
        audit = await audit_or_404(conn, audit_id)
        if not await may_moderate(conn, user, audit):
            raise ApiError(
                403, "forbidden",
                f"audit {audit_id} is not yours to moderate: it must be submitted and marked for "
                "moderation, by someone who neither did the audit nor worked the case",
            )  # fmt: skip
        resolution = (
            _seal(sealer, audit_id, "resolution", form.resolution) if form.resolution else None
        )
        added = await audit_moderation.insert_moderation(
            conn, audit_id=audit_id, moderator=user.user_id, grade=form.grade,
            agrees=form.agrees, resolved_grade=form.resolved_grade, resolution=resolution,
        )  # fmt: skip
        if not added:
            raise ApiError(409, "conflict", f"audit {audit_id} was moderated already")
        await audit_store.mark_moderated(conn, audit_id)
    log.info("audit_moderated", audit_id=str(audit_id), agrees=form.agrees)


async def add_action(
    pool: asyncpg.Pool, user: User, audit_id: UUID, body: m.NewAction
) -> m.ActionView:
    """A learning action from an audit's findings: by its auditor or a manager."""
    action_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        audit = await audit_or_404(conn, audit_id)
        if audit.auditor != user.user_id and not user.has(StaffRole.manager):
            raise ApiError(403, "forbidden", f"audit {audit_id} is assigned to {audit.auditor}")
        await learning_action.insert_action(
            conn, action_id=action_id, audit_id=audit_id, action=body.action, owner=body.owner,
            due_on=body.due_on, created_by=user.user_id,
        )  # fmt: skip
        stored = await learning_action.get_action(conn, action_id)
    assert stored is not None
    return action_view(stored)


async def change_action(
    pool: asyncpg.Pool, user: User, action_id: UUID, body: m.ActionChange
) -> m.ActionView:
    """Mark an action done (or reopen it), or move its owner or date: its owner, whoever
    raised it, or a manager."""
    async with pool.acquire() as conn, conn.transaction():
        action = await learning_action.get_action(conn, action_id)
        if action is None:
            raise ApiError(404, "not_found", f"learning action {action_id} was not found")
        if user.user_id not in (action.owner, action.created_by) and not user.has(
            StaffRole.manager
        ):
            raise ApiError(403, "forbidden", f"learning action {action_id} is {action.owner}'s")
        await learning_action.update_action(
            conn, action_id, status=body.status, owner=body.owner, due_on=body.due_on,
            now=datetime.now(UTC),
        )  # fmt: skip
        changed = await learning_action.get_action(conn, action_id)
    assert changed is not None
    return action_view(changed)
