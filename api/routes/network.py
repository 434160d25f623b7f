"""`GET /referrals/{id}/network`: the children, places, peer groups and adults of concern linked
around a case, for a multi-agency child exploitation (MACE) meeting; as JSON, as a drawing
(`/network.svg`, drawn on the server, no script), or as a page (`?format=html`) with the drawing
and the same nodes and links as lists for screen readers. Council staff only (names are shown);
the access log records the request against every case it shows."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.deps import IntakeStaff, PoolDep, SealerDep
from api.errors import ErrorResponse
from api.linked import network
from api.models.links import Network
from api.pages import templates
from api.record import referral_or_404
from domain.calendar import LONDON
from domain.network import HEIGHT, WIDTH, layout

router = APIRouter(
    prefix="/referrals",
    tags=["links"],
    responses={
        401: {"model": ErrorResponse},
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        410: {"model": ErrorResponse},
    },
)
_NOT_KEPT = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
_PAGE_HEADERS = {
    **_NOT_KEPT,
    # Inline styles and the inline drawing, nothing else: no script, nothing from elsewhere.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
}


class NetworkFormat(StrEnum):
    json = "json"
    html = "html"


async def _network(
    request: Request, pool: PoolDep, sealer: SealerDep, referral_id: UUID
) -> Network:
    async with pool.acquire() as conn:
        stored = await referral_or_404(conn, referral_id)
        shown = await network(conn, sealer, referral_id, stored.stage.value)
    request.state.referral_ids = [
        referral_id,
        *dict.fromkeys(
            n.referral_id for n in shown.nodes if n.referral_id and n.referral_id != referral_id
        ),
    ]
    return shown


def _drawing(shown: Network) -> str:
    centre = next(n.node_id for n in shown.nodes if n.centre)
    inner = [n.node_id for n in shown.nodes if n.entity_id is not None]
    outer = [n.node_id for n in shown.nodes if n.referral_id is not None and not n.centre]
    return (
        templates()
        .get_template("network_svg.html")
        .render(net=shown, at=layout(centre, inner, outer), width=WIDTH, height=HEIGHT)
    )


@router.get(
    "/{referral_id}/network",
    response_model=Network,
    responses={200: {"content": {"text/html": {}}, "description": "the network (JSON or HTML)"}},
)
async def referral_network(
    referral_id: UUID,
    request: Request,
    _user: IntakeStaff,
    pool: PoolDep,
    sealer: SealerDep,
    format_: Annotated[
        NetworkFormat, Query(alias="format", description="json, or html for the page")
    ] = NetworkFormat.json,
) -> Response:
    """Nodes (the case's child at the centre, the places, peer groups and adults it is linked
    to, and the other children linked to those) and edges (the open links, who made each,
    when and why)."""
    shown = await _network(request, pool, sealer, referral_id)
    if format_ is NetworkFormat.json:
        return JSONResponse(shown.model_dump(mode="json"), headers=_NOT_KEPT)
    labels = {n.node_id: n.label for n in shown.nodes}
    page = (
        templates()
        .get_template("network.html")
        .render(net=shown, drawing=_drawing(shown), labels=labels, london=LONDON)
    )
    return HTMLResponse(page, headers=_PAGE_HEADERS)


@router.get(
    "/{referral_id}/network.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "the drawing"}},
)
async def referral_network_svg(
    referral_id: UUID, request: Request, _user: IntakeStaff, pool: PoolDep, sealer: SealerDep
) -> Response:
    """The network drawn (server-side SVG, circle layout, no script)."""
    shown = await _network(request, pool, sealer, referral_id)
    return Response(_drawing(shown), media_type="image/svg+xml", headers=_PAGE_HEADERS)
