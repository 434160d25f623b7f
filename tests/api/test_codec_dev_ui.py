"""The codec for `frontdoor dev`'s embedded Temporal UI, which cannot send a token: with
`codec_dev_ui` (set by `frontdoor dev` only) and development mode, a call from the loopback
without a token, from the UI's origin, decodes, recorded as `temporal-ui-dev`; any other caller
still needs an engineer's token, and without the setting the UI is refused like anyone."""

from __future__ import annotations

import base64
import json

from starlette.requests import Request

from api.routes.codec import DEV_UI_USER, from_dev_ui
from tests.api.conftest import ClientFactory, LiveApi

PLAIN = {
    "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
    "data": base64.b64encode(json.dumps("a child's name").encode()).decode(),
}


def _request(headers: dict[str, str], client: str = "127.0.0.1") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "headers": raw, "client": (client, 5000)})


async def test_the_embedded_ui_decodes_without_a_token_in_development_only(
    live_api: LiveApi, api_client_for: ClientFactory
) -> None:
    settings = live_api.staff.settings
    ui = settings.temporal_ui_url()
    sealed = await live_api.client.post(
        "/codec/encode", json={"payloads": [PLAIN]}, headers=live_api.staff.engineer
    )
    assert sealed.status_code == 200, sealed.text

    # Without the setting (production, and every other API), the UI without a token: 401.
    refused = await live_api.client.post(
        "/codec/decode", json=sealed.json(), headers={"Origin": ui}
    )
    assert refused.status_code == 401

    dev = settings.model_copy(update={"codec_dev_ui": True})
    async with api_client_for(dev) as api:
        for origin in (ui, ui.replace("127.0.0.1", "localhost")):
            preflight = await api.options(
                "/codec/decode",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type,x-namespace",
                },
            )
            assert preflight.headers["access-control-allow-origin"] == origin
            decoded = await api.post(
                "/codec/decode", json=sealed.json(), headers={"Origin": origin}
            )
            assert decoded.status_code == 200, decoded.text
            assert decoded.json() == {"payloads": [PLAIN]}
        # Not from the UI's origin, or with a token that is not an engineer's: as ever.
        elsewhere = await api.post(
            "/codec/decode", json=sealed.json(), headers={"Origin": "http://elsewhere.example"}
        )
        assert elsewhere.status_code == 401
        practitioner = await api.post(
            "/codec/decode",
            json=sealed.json(),
            headers={"Origin": ui} | live_api.staff.practitioner,
        )
        assert practitioner.status_code == 403

    async with live_api.pool.acquire() as conn:
        callers = await conn.fetch(
            "SELECT user_id, status FROM access_event WHERE route = '/codec/decode'"
        )
    assert {(r["user_id"], r["status"]) for r in callers} >= {(DEV_UI_USER.user_id, 200)}

    # Never outside development mode, nor from another machine.
    from_ui = {"Origin": ui}
    assert from_dev_ui(_request(from_ui), dev)
    assert not from_dev_ui(_request(from_ui), dev.model_copy(update={"dev_mode": False}))
    assert not from_dev_ui(_request(from_ui, client="192.0.2.7"), dev)
