"""`frontdoor token` gives only tokens the API accepts: never longer-lived than the API allows."""

from __future__ import annotations

from pathlib import Path

from tests.cli.commands import frontdoor


async def test_a_token_longer_lived_than_the_api_accepts_is_refused(tmp_path: Path) -> None:
    env = {"FRONTDOOR_STATE_DIR": str(tmp_path), "FRONTDOOR_MAX_TOKEN_HOURS": "8"}

    code, output = await frontdoor(
        "token", "--user", "mo", "--role", "manager", "--hours", "12", env=env
    )
    ok, token = await frontdoor(
        "token", "--user", "mo", "--role", "manager", "--hours", "8", env=env
    )

    assert code != 0 and "FRONTDOOR_MAX_TOKEN_HOURS" in output and "at most 8" in output
    assert ok == 0 and token.count(".") == 2
