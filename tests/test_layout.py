"""The house's layout holds: the packages at the root are ours alone, modules stay small, the
workflow code loads no I/O library, and no production module carries a patch branch."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
    "targets"
]["wheel"]["packages"]
LIMIT = 400
WORKFLOW_LIMIT = 300


def _modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_the_wheel_packages_are_the_layout_at_the_root() -> None:
    assert sorted(PACKAGES) == [
        "activities", "api", "cli", "core", "domain", "notifier", "store", "workers", "workflows"
    ]  # fmt: skip
    for package in PACKAGES:
        init = ROOT / package / "__init__.py"
        assert init.read_text().startswith('"""'), (
            f"{package} has no docstring saying what it holds"
        )
    assert not (ROOT / "src").exists()


def test_no_other_installed_distribution_provides_one_of_our_top_level_names() -> None:
    provided = importlib.metadata.packages_distributions()
    for name in [*PACKAGES, "tests", "bench"]:
        others = [d for d in provided.get(name, []) if d != "frontdoor"]
        assert others == [], f"{name!r} is also provided by {others}"


def test_no_module_is_over_the_size_limit() -> None:
    too_long = {}
    for path in _modules():
        lines = len(path.read_text().splitlines())
        limit = WORKFLOW_LIMIT if path.parent.name == "workflows" else LIMIT
        if lines > limit:
            too_long[str(path.relative_to(ROOT))] = lines
    assert too_long == {}


def test_no_production_module_carries_a_patch_branch() -> None:
    patched = [str(p.relative_to(ROOT)) for p in _modules() if "workflow.patched" in p.read_text()]
    assert patched == []


def test_importing_the_workflows_loads_neither_asyncpg_nor_the_store() -> None:
    probe = (
        "import sys, workflows.referral; "
        "print(sorted(m for m in sys.modules if m == 'asyncpg' or m.split('.')[0] == 'store'))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
