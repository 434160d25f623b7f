"""Replaying case histories against the current code, the way the worker would run them: the
same workflows, the same data converter and the same sandbox. A history that no longer replays
means a change would break the running cases it stands for.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.codec import KEY_ID_KEY, payload_keys
from core.converter import data_converter
from core.settings import Settings, get_settings
from workers.worker import WORKFLOWS, sandbox_runner
from workflows.writer import NOT_FITTING


@dataclass(frozen=True)
class ReplayOutcome:
    """One history replayed: fine, or the non-determinism found, in words an engineer can use."""

    workflow_id: str
    run_id: str
    events: int
    failure: str | None

    @property
    def ok(self) -> bool:
        return self.failure is None


def replayer(settings: Settings, workflows: Sequence[type] = WORKFLOWS) -> Replayer:
    """A replayer with the worker's workflows, sandbox and data converter (payload keys)."""
    return Replayer(
        workflows=list(workflows),
        data_converter=data_converter(settings),
        workflow_runner=sandbox_runner(),
    )


def history_from_file(path: Path) -> WorkflowHistory:
    """A history saved as `temporal workflow show --output json` writes it; the file's name
    stands for the workflow id (the JSON does not carry it)."""
    return WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))


def keys_lacking(path: Path, settings: Settings) -> list[str]:
    """The payload key ids a history file is sealed with that `settings` do not hold: replaying
    it would fail on the first payload, with a dump of ciphertext."""
    held = set(payload_keys(settings))
    named: set[str] = set()
    text = path.read_text(encoding="utf-8")
    for encoded in re.findall(rf'"{KEY_ID_KEY}":\s*"([^"]+)"', text):
        try:
            named.add(base64.b64decode(encoded).decode())
        except (binascii.Error, UnicodeDecodeError):
            named.add(encoded)
    return sorted(named - held)


def describe_failure(error: BaseException) -> str:
    """The replayer's error, cut to what says which event and which commands disagreed.

    Local activities are matched to their history markers by position only, so a local activity
    added, removed or reordered without a patch often shows not as a nondeterminism error but as
    a recorded result that cannot be read as the type the code expects there."""
    message = str(error)
    found = re.search(r'(Nondeterminism error:[^"\n]*)', message)
    if found:
        detail = found.group(1)
    elif 'r#type: "ValidationError"' in message or 'r#type: "NondeterminismError"' in message:
        # The workflow's own message is sealed by the codec; its type says what happened.
        detail = f"{NOT_FITTING} (a local activity added, removed or reordered without a patch?)"
    else:
        detail = message
    return f"{type(error).__name__}: {detail.strip()}"


async def replay_all(
    histories: Iterable[WorkflowHistory],
    workflows: Sequence[type] = WORKFLOWS,
    *,
    settings: Settings | None = None,
) -> list[ReplayOutcome]:
    """Replay every history; never stops at the first failure. The payload keys come from
    `settings` (default: the environment's)."""
    items = list(histories)

    async def feed() -> AsyncIterator[WorkflowHistory]:
        for history in items:
            yield history

    results = await replayer(settings or get_settings(), workflows).replay_workflows(
        feed(), raise_on_replay_failure=False
    )
    outcomes = []
    for history in items:
        failure = results.replay_failures.get(history.run_id)
        outcomes.append(
            ReplayOutcome(
                workflow_id=history.workflow_id,
                run_id=history.run_id,
                events=len(history.events),
                failure=describe_failure(failure) if failure is not None else None,
            )
        )
    return outcomes
