"""`frontdoor policy check [FILE...]`: validate timescale policy files (issue 15) before the
services load them, printing each file's errors as `FILE:LINE: where: what`. With no files it
checks every edition the services would load (the shipped ones and FRONTDOOR_POLICY_DIR's).
Registered on the main app by cli/main.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from domain.policy_files import (
    SHIPPED_DIR,
    PolicyFileError,
    check_files,
    policy_dirs,
    policy_files,
)

policy_app = typer.Typer(
    name="policy", help="Timescale policy editions (TOML files).", no_args_is_help=True
)


def problems_of(paths: list[Path]) -> tuple[list[str], list[str]]:
    """The valid editions in `paths` (as `FILE: OK (version V)` lines) and every problem,
    including a version that a shipped edition already carries."""
    policies, problems = check_files(paths)
    ok: list[str] = []
    for path in paths:
        version = path.stem
        policy = policies.get(version)
        if policy is None or any(p.startswith(f"{path}:") for p in problems):
            continue
        shipped = SHIPPED_DIR / path.name
        if shipped.exists() and shipped.resolve() != path.resolve():
            problems.append(
                f"{path}:1: version: {version!r} is a shipped edition ({shipped}); "
                "give your edition its own name"
            )
            continue
        ok.append(f"{path}: OK (version {policy.version})")
    return ok, problems


@policy_app.command()
def check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="policy files (default: every edition the services would load)"),
    ] = None,
) -> None:
    """Validate policy files: print OK per file, or each error with its file and line (exit 1)."""
    try:
        paths = files or policy_files(policy_dirs())
    except PolicyFileError as err:
        for problem in err.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(code=1) from None
    ok, problems = problems_of(paths)
    for line in ok:
        typer.echo(line)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(code=1)
