"""Keys made once in the state folder, for development: the first process to need one writes
it (readable by its owner only), and every process after reads the same one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def made_once(state_dir: Path, name: str, make: Callable[[], str]) -> str:
    """The key kept in `state_dir/name`, written from `make()` if there is none yet."""
    path = Path(state_dir) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(make())
    return path.read_text().strip()
