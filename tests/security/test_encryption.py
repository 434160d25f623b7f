"""A whole case leaves no child's data in plaintext in Temporal (its SQLite file, its API) or in
the logs; the codec endpoint decrypts for engineers only; rotation and old payloads work."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from core.codec import (
    ENCODING,
    KEY_ID_KEY,
    REFUSED_ENCODING,
    EncryptionCodec,
    PayloadKeyError,
    new_key_spec,
    parse_keys,
    payload_keys,
)
from core.logs import configure_logging
from core.settings import LogFormat, Settings
from tests.api.conftest import LiveApi
from tests.api.driver import drive_to_closed
from tests.api.test_referrals import intake_body

NAME = "Zephyrine Quillmarrow"
ADDRESS = "42 Lanternwick Wharf"
CONCERN = "Persistent hunger noted by the Marigold-class teacher; bruising on the left wrist."
SECRETS = (NAME, ADDRESS, CONCERN)


@pytest.fixture
def captured_logs() -> Iterator[io.StringIO]:
    """Every log line of the API, the worker and the libraries, as JSON, at DEBUG."""
    stream = io.StringIO()
    configure_logging(Settings(log_format=LogFormat.JSON, log_level="DEBUG"), stream=stream)
    try:
        yield stream
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "_frontdoor", False):
                root.removeHandler(handler)
        root.setLevel(logging.WARNING)


async def _whole_case(api: LiveApi) -> str:
    """Intake to a closed case over HTTP: screened, checked by the police, closed as no further
    action, the referrer acknowledged and told the outcome."""
    body = intake_body(concern=CONCERN)
    body["child"] = {**body["child"], "name": NAME, "address": ADDRESS}
    created = await api.client.post("/referrals", json=body, headers=api.staff.practitioner)
    assert created.status_code == 201, created.text
    referral_id = str(created.json()["referral_id"])
    case = await drive_to_closed(api, referral_id, {
        "screening": {"rationale": "Needs checks.", "agencies": ["police"]},
        "agency_check": {"information": "Nothing held.", "responder_name": "Duty police"},
        "decision": {"outcome": "nfa"},
    })  # fmt: skip
    assert case["outcome"] == "nfa"
    assert {"acknowledged", "referrer_told"} <= set(case["milestones"])
    return referral_id


def _plaintext_in(blob: bytes) -> list[str]:
    return [secret for secret in SECRETS if secret.encode() in blob]


async def test_a_whole_case_leaves_no_plaintext_in_temporal_or_the_logs(
    stored_api: LiveApi,
    sqlite_env: WorkflowEnvironment,
    sqlite_file: Path,
    captured_logs: io.StringIO,
) -> None:
    referral_id = await _whole_case(stored_api)
    workflow_id = f"referral-{referral_id}"

    # The server's API, read without the codec: what the Temporal UI shows without a codec.
    target = sqlite_env.client.service_client.config.target_host
    raw_client = await Client.connect(target, namespace=sqlite_env.client.namespace)
    history = await raw_client.get_workflow_handle(workflow_id).fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert _plaintext_in(raw) == [] and _plaintext_in(history.to_json().encode()) == []
    encodings = {
        p.metadata.get("encoding")
        for e in history.events
        if e.HasField("workflow_execution_started_event_attributes")
        for p in e.workflow_execution_started_event_attributes.input.payloads
    }
    assert encodings == {ENCODING}

    # The server's own storage, bytes on disk (the database and its write-ahead log).
    stored = b"".join(p.read_bytes() for p in sqlite_file.parent.glob(f"{sqlite_file.name}*"))
    assert workflow_id.encode() in stored  # the file is the one holding this case
    assert _plaintext_in(stored) == []

    # Logs of the API, the worker and the activities for the whole case.
    logs = captured_logs.getvalue()
    assert referral_id in logs or workflow_id in logs  # the case was logged, by id
    assert _plaintext_in(logs.encode()) == []


async def test_the_codec_endpoint_decrypts_for_engineers_only(stored_api: LiveApi) -> None:
    plain = {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
             "data": base64.b64encode(json.dumps(NAME).encode()).decode()}  # fmt: skip
    staff = stored_api.staff
    for headers in (staff.practitioner, staff.manager):
        refused = await stored_api.client.post(
            "/codec/encode", json={"payloads": [plain]}, headers=headers
        )
        assert refused.status_code == 403
    encoded = await stored_api.client.post(
        "/codec/encode", json={"payloads": [plain]}, headers=staff.engineer
    )
    assert encoded.status_code == 200, encoded.text
    sealed = encoded.json()["payloads"][0]
    assert NAME.encode() not in base64.b64decode(sealed["data"])
    assert base64.b64decode(sealed["metadata"]["encoding"]) == ENCODING
    decoded = await stored_api.client.post(
        "/codec/decode", json=encoded.json(), headers=staff.engineer
    )
    assert decoded.status_code == 200, decoded.text
    assert decoded.json() == {"payloads": [plain]}
    bad = await stored_api.client.post(
        "/codec/decode", json={"payloads": "nope"}, headers=staff.engineer
    )
    assert bad.status_code == 422


async def test_rotated_keys_still_decrypt_and_plain_payloads_are_refused() -> None:
    old = parse_keys(new_key_spec("k1"))
    new = parse_keys(new_key_spec("k2"))
    before = await EncryptionCodec(old).encode([Payload(data=b"x")])
    rotated = EncryptionCodec({**new, **old})  # newest first: encrypts with k2, reads k1 too
    assert rotated.current_key_id == "k2"
    assert (await rotated.decode(before))[0].data == b"x"
    after = await rotated.encode([Payload(data=b"y")])
    assert after[0].metadata[KEY_ID_KEY] == b"k2"
    [unread] = await EncryptionCodec(old).decode(after)  # refused, naming the key it lacks
    assert unread.metadata["encoding"] == REFUSED_ENCODING and b"'k2'" in unread.data
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'"old"')
    assert (await rotated.decode([plain]))[0].metadata["encoding"] == REFUSED_ENCODING


def test_keys_are_required_outside_development_and_made_once_inside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FRONTDOOR_PAYLOAD_KEYS")
    monkeypatch.delenv("FRONTDOOR_DEV_MODE")
    with pytest.raises(PayloadKeyError, match="FRONTDOOR_PAYLOAD_KEYS"):
        payload_keys(Settings(state_dir=tmp_path))
    dev = Settings(state_dir=tmp_path, dev_mode=True)
    assert payload_keys(dev) == payload_keys(dev)
    for spec in ("nocolon", "k:not-base64!", "k:" + base64.b64encode(b"short").decode()):
        with pytest.raises(PayloadKeyError):
            parse_keys(spec)


async def test_the_temporal_ui_may_call_the_codec_from_the_browser(stored_api: LiveApi) -> None:
    ui = stored_api.staff.settings.temporal_ui_url()
    preflight = await stored_api.client.options(
        "/codec/decode",
        headers={
            "Origin": ui,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ui
    other = await stored_api.client.options(
        "/codec/decode",
        headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in other.headers
