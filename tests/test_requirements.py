"""`make run` installs requirements/run.txt only: it must hold everything the running product imports,
and none of the test, lint and type-checking tools (those are requirements/dev.txt, for `make test`)."""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
RUN_PATH = ["suresh_ai", "tenants", "billing", "ai_engine", "intelligence", "experiments", "ops", "scripts"]
DEV_ONLY = {"pytest", "pytest-django", "pytest-cov", "factory-boy", "time-machine", "aiosmtpd", "ruff", "mypy"}
DEV_ONLY |= {"django-stubs", "djangorestframework-stubs", "moto"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> set[str]:
    names: set[str] = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names |= _pins(path.parent / line[3:].strip())
        elif line:
            names.add(_canonical(Requirement(line).name))
    return names


def _closure(names: set[str]) -> set[str]:
    """The pinned distributions and everything they depend on (as installed here)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for spec in metadata.requires(name) or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(_canonical(requirement.name))
    return seen


def _imported_distributions() -> set[str]:
    owners = metadata.packages_distributions()
    found: set[str] = set()
    for folder in RUN_PATH:
        for path in (ROOT / folder).rglob("*.py"):
            if "tests" in path.parts or "testing" in path.parts or path.name == "conftest.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                modules = []
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                for module in modules:
                    top = module.split(".")[0]
                    if top in sys.stdlib_module_names:
                        continue
                    found |= {_canonical(name) for name in owners.get(top, [])}
    return found


def test_run_requirements_hold_what_the_product_imports_and_no_test_tools() -> None:
    run = _pins(ROOT / "requirements" / "run.txt")
    assert run & DEV_ONLY == set()
    assert _pins(ROOT / "requirements" / "dev.txt") >= DEV_ONLY
    imported = _imported_distributions()
    assert {"django", "celery", "boto3", "pgserver"} <= imported  # the walk sees the run path
    assert sorted(imported - _closure(run)) == []
