"""Routes for links between children (contextual safeguarding): make a place, a peer group or
an adult of concern; link a case to one (who, when, why) and end a link (never deleted); list a
case's links. Council staff only (practitioners and managers; partners are refused 403); every
request is in the access audit, against the case it touches."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response, status

from api.deps import IntakeStaff, PoolDep, SealerDep
from api.errors import ErrorResponse
from api.links import (
    create_adult,
    create_peer_group,
    create_place,
    end_case_link,
    entity_or_404,
    entity_views,
    link_case,
    link_view,
)
from api.models.links import (
    AdultBody,
    CaseLinks,
    EndLinkBody,
    EntityView,
    LinkBody,
    LinkView,
    PeerGroupBody,
    PlaceBody,
)
from api.record import referral_or_404
from core.logs import get_logger
from domain.links import EntityKind
from store import case_link as link_store

log = get_logger(__name__)
router = APIRouter(
    tags=["links"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    },
)
_CREATED: dict[str, Any] = {"status_code": status.HTTP_201_CREATED, "response_model": EntityView}


@router.post("/places", **_CREATED)
async def make_place(
    body: PlaceBody, user: IntakeStaff, pool: PoolDep, sealer: SealerDep
) -> EntityView:
    """A place (an address, a park, a shop, a school), sealed; with an address, its keyed form
    is kept so a contact naming the address shows the children linked to the place."""
    async with pool.acquire() as conn, conn.transaction():
        place_id = await create_place(conn, sealer, body, user.user_id)
        view = await entity_or_404(conn, sealer, (EntityKind.place, place_id))
    log.info("place_created", entity_id=str(place_id), user_id=user.user_id)
    return view


@router.post("/peer-groups", **_CREATED)
async def make_peer_group(
    body: PeerGroupBody, user: IntakeStaff, pool: PoolDep, sealer: SealerDep
) -> EntityView:
    """A peer group (a name and a description), sealed."""
    async with pool.acquire() as conn, conn.transaction():
        group_id = await create_peer_group(conn, sealer, body, user.user_id)
        view = await entity_or_404(conn, sealer, (EntityKind.peer_group, group_id))
    log.info("peer_group_created", entity_id=str(group_id), user_id=user.user_id)
    return view


@router.post("/adults-of-concern", **_CREATED)
async def make_adult(
    body: AdultBody, user: IntakeStaff, pool: PoolDep, sealer: SealerDep
) -> EntityView:
    """An adult of concern: a person record (404 naming `person_id` if there is none) and why.
    A later contact whose household holds that person shows the children linked to them."""
    async with pool.acquire() as conn, conn.transaction():
        adult_id = await create_adult(conn, sealer, body, user.user_id)
        view = await entity_or_404(conn, sealer, (EntityKind.adult, adult_id))
    log.info("adult_of_concern_created", entity_id=str(adult_id), user_id=user.user_id)
    return view


@router.post(
    "/referrals/{referral_id}/links",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkView,
    responses={200: {"model": LinkView, "description": "linked already: the open link"}},
)
async def link_referral(
    referral_id: UUID,
    body: LinkBody,
    user: IntakeStaff,
    pool: PoolDep,
    sealer: SealerDep,
    response: Response,
) -> LinkView:
    """Link the case to a place, peer group or adult of concern, with why (sealed). A case
    already linked to it gets its open link back (200), nothing recorded twice."""
    ref = (body.kind, body.entity_id)
    async with pool.acquire() as conn, conn.transaction():
        await referral_or_404(conn, referral_id)
        entity = await entity_or_404(conn, sealer, ref)
        link, made = await link_case(conn, sealer, referral_id, ref, body.reason, user.user_id)
    if made:
        log.info("case_linked", referral_id=str(referral_id), link_id=str(link.link_id),
                 entity_kind=body.kind.value, user_id=user.user_id)  # fmt: skip
    else:
        response.status_code = status.HTTP_200_OK
    return link_view(sealer, link, {ref: entity})


@router.post(
    "/referrals/{referral_id}/links/{link_id}/end",
    response_model=LinkView,
    responses={409: {"model": ErrorResponse, "description": "the link was ended already"}},
)
async def end_referral_link(
    referral_id: UUID,
    link_id: UUID,
    body: EndLinkBody,
    user: IntakeStaff,
    pool: PoolDep,
    sealer: SealerDep,
) -> LinkView:
    """End a link (it stays on record, with who ended it, when and why)."""
    async with pool.acquire() as conn, conn.transaction():
        await referral_or_404(conn, referral_id)
        link = await end_case_link(conn, sealer, referral_id, link_id, body.reason, user.user_id)
        names = await entity_views(conn, sealer, [(link.entity_kind, link.entity_id)])
    log.info("case_link_ended", referral_id=str(referral_id), link_id=str(link_id),
             user_id=user.user_id)  # fmt: skip
    return link_view(sealer, link, names)


@router.get("/referrals/{referral_id}/links", response_model=CaseLinks)
async def referral_links(
    referral_id: UUID, _user: IntakeStaff, pool: PoolDep, sealer: SealerDep
) -> CaseLinks:
    """The case's links, oldest first, ended ones included with who ended them and why."""
    async with pool.acquire() as conn:
        await referral_or_404(conn, referral_id)
        links = await link_store.links_of_case(conn, referral_id, ended=True)
        names = await entity_views(conn, sealer, [(k.entity_kind, k.entity_id) for k in links])
    return CaseLinks(referral_id=referral_id, links=[link_view(sealer, k, names) for k in links])
