"""Timescale policies as files: one TOML file per edition, validated with errors naming the line.

The shipped editions live in domain/policies/; a council adds its own, without a release, in the
directory named by `FRONTDOOR_POLICY_DIR`. A file's `version` must be its file name (without
`.toml`), and no two files may carry the same version. Every problem is reported as
`FILE:LINE: where: what`, the line found by reading the file's own text, so a council officer can
go straight to it.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from domain.policy import TableEntryError, TimescalePolicy

SHIPPED_DIR = Path(__file__).resolve().parent / "policies"
"""The editions shipped with the code."""

POLICY_DIR_ENV = "FRONTDOOR_POLICY_DIR"
"""The environment variable naming a directory of a council's own *.toml editions."""


class PolicyFileError(ValueError):
    """One or more policy files are unreadable or invalid; `problems` are `FILE:LINE: ...`."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def policy_dirs(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """The directories editions are loaded from: the shipped one, then `FRONTDOOR_POLICY_DIR`."""
    extra = environ.get(POLICY_DIR_ENV, "").strip()
    return [SHIPPED_DIR, Path(extra)] if extra else [SHIPPED_DIR]


def policy_files(dirs: Iterable[Path]) -> list[Path]:
    """Every *.toml file in `dirs`, in name order per directory; PolicyFileError if a directory
    is missing."""
    files: list[Path] = []
    for directory in dirs:
        if not directory.is_dir():
            raise PolicyFileError([f"{directory}: no such directory of policy files"])
        files.extend(sorted(directory.glob("*.toml")))
    return files


def load_policies(dirs: Iterable[Path]) -> dict[str, TimescalePolicy]:
    """Every edition in `dirs`, by version; PolicyFileError listing every problem found."""
    policies, problems = check_files(policy_files(dirs))
    if problems:
        raise PolicyFileError(problems)
    return policies


def check_files(paths: Iterable[Path]) -> tuple[dict[str, TimescalePolicy], list[str]]:
    """The editions in `paths` that are valid, by version, and the problems of the others
    (including a version carried by two files)."""
    policies: dict[str, TimescalePolicy] = {}
    origins: dict[str, Path] = {}
    problems: list[str] = []
    for path in paths:
        try:
            policy = load_policy_file(path)
        except PolicyFileError as err:
            problems.extend(err.problems)
            continue
        if policy.version in origins:
            line = _line_of(_read_text(path), ("version",))
            problems.append(
                f"{path}:{line}: version: {policy.version!r} is also the version of "
                f"{origins[policy.version]}; each edition is one file"
            )
            continue
        origins[policy.version] = path
        policies[policy.version] = policy
    return policies, problems


def load_policy_file(path: Path) -> TimescalePolicy:
    """The edition in the TOML file at `path`; PolicyFileError naming the file and line."""
    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        line, message = _toml_error_line(str(err), text)
        raise PolicyFileError([f"{path}:{line}: TOML syntax: {message}"]) from None
    try:
        policy = TimescalePolicy.model_validate(data)
    except ValidationError as err:
        raise PolicyFileError([_problem(path, text, error) for error in err.errors()]) from None
    if policy.version != path.stem:
        raise PolicyFileError(
            [
                f"{path}:{_line_of(text, ('version',))}: version: {policy.version!r} must be the "
                f"file's name ({path.stem!r}): rename the file or the version"
            ]
        )
    return policy


def _problem(path: Path, text: str, error: ErrorDetails) -> str:
    loc = error["loc"]
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, TableEntryError):
        loc = (*loc, cause.key)
    return f"{path}:{_line_of(text, loc)}: {_where(loc)}: {_message(error['msg'])}"


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as err:
        raise PolicyFileError([f"{path}: cannot read: {err.strerror or err}"]) from None
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise PolicyFileError([f"{path}:{line}: not UTF-8 text"]) from None


_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_AT_END = re.compile(r"\s*\(at end of document\)$")


def _toml_error_line(message: str, text: str) -> tuple[int, str]:
    """The line tomllib's message names, and the message without it."""
    found = _AT_LINE.search(message)
    if found:
        return int(found[1]), f"{message[: found.start()]} (column {found[2]})"
    found = _AT_END.search(message)
    if found:
        return max(1, len(text.splitlines())), f"{message[: found.start()]} (at the end)"
    return 1, message


def _where(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as the key a reader finds in the file: `escalation.rungs[2].offset`."""
    where = ""
    for part in loc:
        if isinstance(part, int):
            where += f"[{part}]"
        else:
            key = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
            where += f".{key}" if where else key
    return where or "(the file)"


def _message(msg: str) -> str:
    """pydantic's message, worded for the file's editor."""
    for prefix, instead in (("Input should be", "must be"), ("Value error, ", "")):
        if msg.startswith(prefix):
            return instead + msg[len(prefix) :]
    return msg


# A dotted TOML key: bare keys, "basic" and 'literal' quoted keys, separated by dots.
_KEY_PART = re.compile(r"""\s*(?:([A-Za-z0-9_-]+)|"((?:[^"\\]|\\.)*)"|'([^']*)')\s*""")


def _parse_key(text: str) -> tuple[list[str], str] | None:
    """The parts of the dotted key at the start of `text`, and what follows it."""
    parts: list[str] = []
    while True:
        found = _KEY_PART.match(text)
        if not found:
            return None
        bare, basic, literal = found.groups()
        parts.append(bare if bare is not None else basic if basic is not None else literal)
        text = text[found.end() :]
        if not text.startswith("."):
            return parts, text
        text = text[1:]


def _line_of(text: str, loc: tuple[int | str, ...]) -> int:
    """The line of `text` that best matches pydantic location `loc`: the first line defining the
    longest leading part of it (a table header, a key, or an element of an array of tables), or
    the first inside it; 1 when none does (a key missing at the top of the file)."""
    target = [str(part) for part in loc]
    table: list[str] = []
    array_counts: dict[tuple[str, ...], int] = {}
    best_line, best_len = 1, 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        path: list[str] | None = None
        if line.startswith("[["):
            parsed = _parse_key(line[2:])
            if parsed and parsed[1].lstrip().startswith("]]"):
                key = tuple(parsed[0])
                index = array_counts.get(key, -1) + 1
                array_counts[key] = index
                table = path = [*parsed[0], str(index)]
        elif line.startswith("["):
            parsed = _parse_key(line[1:])
            if parsed and parsed[1].lstrip().startswith("]"):
                table = path = parsed[0]
        elif line and not line.startswith("#"):
            parsed = _parse_key(line)
            if parsed and parsed[1].startswith("="):
                path = [*table, *parsed[0]]
        if path is None:
            continue
        matched = _common_prefix(path, target)
        if matched in (len(path), len(target)) and matched > best_len:
            best_line, best_len = number, matched
    return best_line


def _common_prefix(a: list[str], b: list[str]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count
