"""Replaying the regression histories against the current code, and what a change that would
break running cases looks like (and the patched change that does not)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from tests.cli.commands import frontdoor
from tests.conftest import TEST_PAYLOAD_KEYS
from tests.workers.variants import PatchedChange, UnpatchedChange
from tests.workflows.scenarios import closing_outcome
from workers.replay import history_from_file, replay_all
from workers.worker import build_worker

HISTORIES = Path(__file__).parent.parent / "histories"


def _histories() -> list[WorkflowHistory]:
    files = sorted(HISTORIES.glob("*.json"))
    assert len(files) >= 10, "the regression histories are missing"
    return [history_from_file(path) for path in files]


async def test_every_regression_history_replays_on_the_current_code() -> None:
    outcomes = await replay_all(_histories())
    assert [o.workflow_id for o in outcomes if not o.ok] == []
    assert {o.workflow_id for o in outcomes} >= {
        "outcome-nfa", "outcome-assessment", "outcome-immediate-protection",
        "escalations", "new-information", "failed-visits",
    }  # fmt: skip
    assert all(o.events < 500 for o in outcomes)


async def test_a_change_without_a_patch_is_caught_with_a_readable_message() -> None:
    outcomes = await replay_all(_histories(), workflows=[UnpatchedChange])
    failed = {o.workflow_id: o.failure or "" for o in outcomes if not o.ok}
    assert len(failed) == len(outcomes)  # every case passes through screening
    # Deadlines and writes are local activities: the extra one takes the place of the next one
    # in the history, whose recorded result the code then cannot read.
    assert "a result recorded in the history does not fit" in failed["outcome-nfa"]


async def test_the_same_change_behind_a_patch_still_replays_old_cases() -> None:
    outcomes = await replay_all(_histories(), workflows=[PatchedChange])
    assert [o.workflow_id for o in outcomes if not o.ok] == []


# The command reads the payload keys from its settings, as an engineer's shell would.
KEYS = {"FRONTDOOR_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS.get_secret_value()}


async def test_replay_command_passes_good_files_and_fails_a_changed_workflows_history(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> None:
    code, output = await frontdoor(
        "replay", "--file", str(HISTORIES / "outcome-nfa.json"), env=KEYS
    )
    assert code == 0, output
    assert "replayed 1, failed 0" in output

    # A case run by a build with the unpatched change, then replayed by the current code.
    async with build_worker(
        time_skipping_env.client, pool, task_queue, workflows=[UnpatchedChange]
    ):
        case = await closing_outcome("nfa")(time_skipping_env, task_queue)
    changed = tmp_path / "changed-build.json"
    changed.write_text((await case.handle.fetch_history()).to_json())
    code, output = await frontdoor("replay", "--file", str(changed), env=KEYS)
    assert code == 1, output
    # Its cases batch their writes: the extra local activity takes the place of the deadlines
    # the current code computes there, whose recorded answer it then cannot read.
    assert "FAILED changed-build" in output
    assert "a result recorded in the history does not fit" in output
    assert "replayed 1, failed 1" in output
