"""Policy editions as TOML files: the shipped ones, a council's own in FRONTDOOR_POLICY_DIR, and
every mistake reported with its file and line (by the loader, at import, and by
`frontdoor policy check`)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from domain.calendar import LONDON
from domain.editions import ENGLAND_2023, POLICIES
from domain.policy import Rag, Step, TimescalePolicy
from domain.policy_files import (
    POLICY_DIR_ENV,
    SHIPPED_DIR,
    PolicyFileError,
    load_policies,
    load_policy_file,
    policy_dirs,
)

ROOT = Path(__file__).resolve().parents[2]

# A complete edition with nothing optional, its lines numbered for the tests below.
MINI = """\
version = "mini-1"
screening = { hours = 2 }
referral_decision = { working_days = 1 }
acknowledgement = { working_days = 1 }
referrer_feedback = { working_days = 1 }
visit_reattempt = { hours = 24 }
handover = { working_days = 1 }
assessment = { working_days = 45 }
icpc = { working_days = 15 }
review_new_information = { hours = 2 }

[agency_checks]
red = { hours = 4 }
amber = { working_days = 1 }
green = { working_days = 3 }

[mash_decision]
red.hours = 4
amber = { working_days = 1 }
green = { working_days = 3 }

[strategy_discussion]
immediate_protection = { hours = 2, all_hours = true }
otherwise = { working_days = 1 }

[visit]
child_protection = { hours = 24, all_hours = true }
assessment = { working_days = 5 }

[teams]
"agency:police" = "all_hours"

[[escalation.rungs]]
level = 0
role = "assignee"
offset = -0.25

[[escalation.rungs]]
level = 1
role = "team_manager"
offset = 0
"""


def edited(line: int, text: str | None) -> str:
    """MINI with line `line` (1-based) replaced by `text` (None: removed)."""
    lines = MINI.splitlines()
    if text is None:
        del lines[line - 1]
    else:
        lines[line - 1] = text
    return "\n".join(lines) + "\n"


def write(directory: Path, text: str, name: str = "mini-1.toml") -> Path:
    path = directory / name
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PolicyFileError) as raised:
        load_policy_file(path)
    assert str(raised.value) == "\n".join(raised.value.problems)
    return raised.value.problems


def test_a_complete_file_loads_with_the_defaults(tmp_path: Path) -> None:
    policy = load_policy_file(write(tmp_path, MINI))
    assert policy.version == "mini-1"
    assert policy.default_pattern == "office"
    assert sorted(policy.patterns) == ["all_hours", "office"]
    assert policy.checks_margin.hours == 0
    assert policy.extra_holidays == frozenset()
    assert policy.intake.received_within_days == 730
    assert policy.intake.future_grace_minutes == 5
    assert policy.intake.earliest_birth_date == date(1900, 1, 1)
    assert policy.intake.expected_due_within_days == 300
    assert policy.mash_decision.red.hours == 4
    assert policy.pattern_for("agency:police").kind == "all_hours"


@pytest.mark.parametrize(
    ("line", "text", "expected"),
    [
        # A dotted key inside a table.
        (18, "red.hours = 0", "mini-1.toml:18: mash_decision.red.hours: must be greater than 0"),
        # An inline table.
        (13, "red = { hours = -4 }", "mini-1.toml:13: agency_checks.red.hours: must be greater"),
        (2, "screening = { hours = 2, working_days = 1 }",
         "mini-1.toml:2: screening: a timescale has exactly one of hours or working_days"),
        # The second of an array of tables.
        (41, 'offset = "soon"', "mini-1.toml:41: escalation.rungs[1].offset: must be a valid"),
        (40, 'role = "director"', "mini-1.toml:40: escalation.rungs[1].role: must be 'assignee'"),
        (41, "offset = -0.5", "mini-1.toml:33: escalation: escalation rungs must strictly"),
        # A quoted key naming a pattern that does not exist.
        (31, '"agency:police" = "nights"',
         'mini-1.toml:31: teams."agency:police": team \'agency:police\' names no working pattern '
         "'nights' (patterns: office, all_hours)"),
        (1, 'version = "mini-1"\ndefault_pattern = "nights"',
         "mini-1.toml:2: default_pattern: no working pattern 'nights'"),
        # A key the policy does not have.
        (28, 'assessment = { working_days = 5 }\ncolour = "red"',
         "mini-1.toml:29: visit.colour: Extra inputs are not permitted"),
        # Missing: a key of a table (the table's line), a key at the top (line 1).
        (20, None, "mini-1.toml:17: mash_decision.green: Field required"),
        (9, None, "mini-1.toml:1: icpc: Field required"),
        (1, 'version = "mini-1"\nextra_holidays = ["soon"]',
         "mini-1.toml:2: extra_holidays[0]: must be a valid date"),
        (1, 'version = "mini-1"\nchecks_margin = { hours = -1 }',
         "mini-1.toml:2: checks_margin.hours: must be greater than or equal to 0"),
        (41, 'offset = 0\n\n[patterns.office]\nkind = "office"\nopens = "18:00"',
         "mini-1.toml:43: patterns.office: opens must be before closes"),
    ],
)  # fmt: skip
def test_schema_errors_name_the_line(
    tmp_path: Path, line: int, text: str | None, expected: str
) -> None:
    path = write(tmp_path, edited(line, text))
    (problem,) = problems(path)
    assert problem.startswith(f"{tmp_path}/"), problem
    assert problem.removeprefix(f"{tmp_path}/").startswith(expected), problem


def test_every_schema_error_is_reported(tmp_path: Path) -> None:
    text = edited(13, "red = { hours = 0 }").replace("red.hours = 4", "red.hours = 0")
    found = problems(write(tmp_path, text))
    assert [p.removeprefix(f"{tmp_path}/").split(" ")[0] for p in found] == [
        "mini-1.toml:13:",
        "mini-1.toml:18:",
    ]


def test_a_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    (problem,) = problems(write(tmp_path, edited(24, "otherwise = { working_days = 1")))
    assert problem.startswith(f"{tmp_path}/mini-1.toml:24: TOML syntax: "), problem


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "mini-1.toml"
    path.write_bytes(edited(3, "# caf\xe9").encode("latin-1"))
    assert problems(path) == [f"{path}:3: not UTF-8 text"]


def test_the_version_is_the_files_name(tmp_path: Path) -> None:
    path = write(tmp_path, MINI, "mini-2.toml")
    assert problems(path) == [
        f"{path}:1: version: 'mini-1' must be the file's name ('mini-2'): rename the file or the "
        "version"
    ]


def test_a_councils_directory_is_loaded_alongside_the_shipped_editions(tmp_path: Path) -> None:
    # Red checks in 2 hours (as Merton asks of its partners).
    write(tmp_path, edited(13, "red = { hours = 2 }"))
    dirs = policy_dirs({POLICY_DIR_ENV: str(tmp_path)})
    assert dirs == [SHIPPED_DIR, tmp_path]
    policies = load_policies(dirs)
    assert sorted(policies) == ["england-2023", "england-2026", "mini-1"]
    assert policies["mini-1"].agency_checks.red.hours == 2
    assert policy_dirs({}) == [SHIPPED_DIR]


def test_two_files_with_one_version_are_refused(tmp_path: Path) -> None:
    copy = write(tmp_path, (SHIPPED_DIR / "england-2026.toml").read_text(), "england-2026.toml")
    with pytest.raises(PolicyFileError) as raised:
        load_policies([SHIPPED_DIR, tmp_path])
    (problem,) = raised.value.problems
    line = 1 + (SHIPPED_DIR / "england-2026.toml").read_text().splitlines().index(
        'version = "england-2026"'
    )
    assert problem == (
        f"{copy}:{line}: version: 'england-2026' is also the version of "
        f"{SHIPPED_DIR / 'england-2026.toml'}; each edition is one file"
    )


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="no such directory"):
        load_policies([tmp_path / "absent"])


def test_extra_holidays_in_a_file_move_every_deadline(tmp_path: Path) -> None:
    path = write(tmp_path, edited(1, 'version = "mini-1"\nextra_holidays = [2026-06-15]'))
    policy = load_policy_file(path)
    friday = datetime(2026, 6, 12, 15, tzinfo=LONDON)
    # Amber: Monday 15 June proclaimed, so Tuesday 16 June 15:00 BST.
    amber = policy.due(Step.mash_decision, friday, rag=Rag.amber)
    assert amber == datetime(2026, 6, 16, 14, tzinfo=UTC)
    # Red, 4 office hours: 2 on Friday, 2 on Tuesday: 11:00 BST.
    assert policy.due(Step.mash_decision, friday, rag=Rag.red) == datetime(
        2026, 6, 16, 10, tzinfo=UTC
    )


def test_england_2023_keeps_the_values_it_had_in_code() -> None:
    every = {"level": 0, "role": "assignee", "offset": -0.25}
    expected = {
        "version": "england-2023",
        "default_pattern": "all_hours",
        "screening": {"hours": 2},
        "agency_checks": {"red": {"hours": 2}, "amber": {"hours": 6}, "green": {"hours": 24}},
        "checks_margin": {"hours": 0},
        "mash_decision": {
            "red": {"hours": 4},
            "amber": {"working_days": 1},
            "green": {"working_days": 3},
        },
        "referral_decision": {"working_days": 1},
        "acknowledgement": {"working_days": 1},
        "referrer_feedback": {"working_days": 1},
        "strategy_discussion": {
            "immediate_protection": {"hours": 2},
            "otherwise": {"working_days": 1},
        },
        "visit": {"child_protection": {"hours": 24}, "assessment": {"working_days": 5}},
        "visit_reattempt": {"hours": 24},
        "handover": {"working_days": 1},
        "assessment": {"working_days": 45},
        "icpc": {"working_days": 15},
        "review_new_information": {"hours": 2},
        "escalation": {
            "rungs": [
                every,
                {"level": 1, "role": "team_manager", "offset": 0},
                {"level": 2, "role": "service_manager", "offset": 0.5},
                {"level": 3, "role": "head_of_service", "offset": 1},
            ]
        },
    }
    assert TimescalePolicy.model_validate(expected) == ENGLAND_2023


def test_the_shipped_files_are_every_edition_loaded_at_import() -> None:
    assert sorted(p.stem for p in SHIPPED_DIR.glob("*.toml")) == sorted(POLICIES)


def _import_editions(policy_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDOOR_")}
    env[POLICY_DIR_ENV] = str(policy_dir)
    probe = "import domain.editions as e; print(sorted(e.POLICIES))"
    return subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_the_services_load_a_councils_edition_at_import_and_stop_on_a_bad_one(
    tmp_path: Path,
) -> None:
    write(tmp_path, MINI)
    loaded = _import_editions(tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "['england-2023', 'england-2026', 'mini-1']"

    write(tmp_path, edited(18, "red.hours = 0"))
    failed = _import_editions(tmp_path)
    assert failed.returncode != 0
    assert "PolicyFileError" in failed.stderr
    assert f"{tmp_path}/mini-1.toml:18: mash_decision.red.hours: must be greater than 0" in (
        failed.stderr
    )


def test_policy_check_prints_ok_or_the_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    good = write(tmp_path, MINI)
    shipped = runner.invoke(app, ["policy", "check"], env={POLICY_DIR_ENV: ""})
    assert shipped.exit_code == 0, shipped.output
    assert f"{SHIPPED_DIR / 'england-2026.toml'}: OK (version england-2026)" in shipped.output

    ok = runner.invoke(app, ["policy", "check", str(good)])
    assert ok.exit_code == 0, ok.output
    assert ok.output == f"{good}: OK (version mini-1)\n"

    misnamed = write(tmp_path, MINI, "mini-2.toml")
    clash = write(tmp_path, MINI.replace("mini-1", "england-2023"), "england-2023.toml")
    result = runner.invoke(app, ["policy", "check", str(good), str(misnamed), str(clash)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{good}: OK (version mini-1)",
        f"{misnamed}:1: version: 'mini-1' must be the file's name ('mini-2'): rename the file or "
        "the version",
        f"{clash}:1: version: 'england-2023' is a shipped edition "
        f"({SHIPPED_DIR / 'england-2023.toml'}); give your edition its own name",
    ]

    bad = write(tmp_path, edited(41, 'offset = "soon"'))
    result = runner.invoke(app, ["policy", "check", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith(f"{bad}:41: escalation.rungs[1].offset: must be a valid number")
    assert "OK" not in result.output

    result = runner.invoke(app, ["policy", "check"], env={POLICY_DIR_ENV: str(tmp_path / "no")})
    assert result.exit_code == 1
    assert result.output == f"{tmp_path / 'no'}: no such directory of policy files\n"
