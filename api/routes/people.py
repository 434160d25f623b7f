"""Routes for people: search (the query in the body, never in the URL), a person's record with
relatives and match decisions, and the screener's decision on a candidate match. Council staff
only; every request is in the access audit, against each case of the people it showed."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Request, status

from api.deps import IntakeStaff, PoolDep, SealerDep
from api.errors import ApiError, ErrorResponse
from api.models.people import (
    Candidate,
    MatchBody,
    MatchView,
    PersonPage,
    PersonQuery,
    Relative,
    SearchAnswer,
)
from api.people import person_view, search
from core.logs import get_logger
from domain.people import SHOWN_THRESHOLD
from store import person as person_store
from store import person_match as match_store
from store.person import PersonCase, StoredPerson
from store.pool import Conn

log = get_logger(__name__)
router = APIRouter(
    prefix="/people",
    tags=["people"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)


def _audited(request: Request, cases: list[PersonCase]) -> None:
    """The access log records the request against each case it showed (api/access_log.py)."""
    request.state.referral_ids = sorted({c.referral_id for c in cases}, key=str) or [None]


async def _person_or_404(conn: Conn, person_id: UUID) -> StoredPerson:
    found = await person_store.get_people(conn, [person_id])
    if not found:
        raise ApiError(404, "not_found", f"person {person_id} was not found")
    return found[0]


@router.post("/search", response_model=SearchAnswer)
async def search_people(
    query: PersonQuery, request: Request, _user: IntakeStaff, pool: PoolDep, sealer: SealerDep
) -> SearchAnswer:
    """People who may be the one described (names and aliases, sound-alike spellings, date of
    birth with day and month swapped, an age estimate, the address, the NHS number), best first,
    each with a score (0 to 1), the reasons, and the cases they are in with their stages."""
    async with pool.acquire() as conn:
        found = await search(conn, sealer, query, datetime.now(UTC).date(), minimum=SHOWN_THRESHOLD)
        cases = await person_store.cases_of_people(conn, [f.person.person_id for f in found])
    _audited(request, cases)
    return SearchAnswer(
        candidates=[
            Candidate(
                score=f.scored.score,
                reasons=f.scored.reasons,
                person=person_view(sealer, f.person, cases),
            )
            for f in found
        ]
    )


@router.get("/{person_id}", response_model=PersonPage, responses={404: {"model": ErrorResponse}})
async def get_person(
    person_id: UUID, request: Request, _user: IntakeStaff, pool: PoolDep, sealer: SealerDep
) -> PersonPage:
    """A person's record: details, cases, relatives and every match decision on it."""
    async with pool.acquire() as conn:
        stored = await _person_or_404(conn, person_id)
        cases = await person_store.cases_of_people(conn, [person_id])
        relatives = await person_store.relatives(conn, person_id)
        decisions = await match_store.decisions_of(conn, person_id)
    _audited(request, cases)
    return PersonPage(
        person=person_view(sealer, stored, cases),
        relatives=[Relative(person_id=other, kind=kind) for other, kind in relatives],
        matches=[
            MatchView(
                candidate_id=d.candidate_id,
                decision=d.decision,
                score=d.score,
                decided_by=d.decided_by,
                decided_at=d.decided_at,
            )
            for d in decisions
        ],
    )


@router.post(
    "/{person_id}/matches",
    status_code=status.HTTP_201_CREATED,
    response_model=MatchView,
    responses={404: {"model": ErrorResponse}},
)
async def decide_match(
    person_id: UUID, body: MatchBody, request: Request, user: IntakeStaff, pool: PoolDep
) -> MatchView:
    """The screener confirms (the same person) or rejects a candidate: recorded on both
    records, with who and when; a later decision on the pair supersedes an earlier one."""
    if body.candidate_id == person_id:
        raise ApiError(
            422,
            "invalid_request",
            "a person cannot be matched with themselves",
            [{"field": "candidate_id", "problem": "is the person in the path"}],
        )
    async with pool.acquire() as conn, conn.transaction():
        await _person_or_404(conn, person_id)
        await _person_or_404(conn, body.candidate_id)
        recorded = await match_store.record_decision(
            conn, person_id, body.candidate_id, body.decision, body.score, user.user_id
        )
        cases = await person_store.cases_of_people(conn, [person_id, body.candidate_id])
    _audited(request, cases)
    log.info("person_match_decided", decision=body.decision.value, user_id=user.user_id)
    return MatchView(
        candidate_id=recorded.candidate_id,
        decision=recorded.decision,
        score=recorded.score,
        decided_by=recorded.decided_by,
        decided_at=recorded.decided_at,
    )
