"""Running the `frontdoor` command as a user would, in a child process (so the test's event loop,
and any worker on it, keeps running meanwhile)."""

from __future__ import annotations

import asyncio
import os
import sys


async def frontdoor(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `frontdoor ARGS` with only the given FRONTDOOR_ settings; return exit code and output."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", *args,
        env={**base, **(env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, output.decode()
