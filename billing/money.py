"""Money arithmetic for billing. Amounts are integer paise; rounding is half-up to the paisa."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple


def percent_of(amount_paise: int, percent: Decimal | int | str) -> int:
    """``percent`` % of ``amount_paise``, rounded half-up to the paisa (no floats anywhere)."""
    if amount_paise < 0:
        raise ValueError("amount_paise must not be negative")
    value = Decimal(amount_paise) * Decimal(percent) / Decimal(100)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def prorate(amount_paise: int, *, remaining_seconds: int, period_seconds: int) -> int:
    """``amount_paise`` for the fraction remaining/period of a period, rounded half-up."""
    if period_seconds <= 0:
        raise ValueError("period_seconds must be positive")
    remaining_seconds = max(0, min(remaining_seconds, period_seconds))
    value = Decimal(amount_paise) * Decimal(remaining_seconds) / Decimal(period_seconds)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Gst(NamedTuple):
    cgst_paise: int
    sgst_paise: int
    igst_paise: int

    @property
    def total_paise(self) -> int:
        return self.cgst_paise + self.sgst_paise + self.igst_paise


def gst_for(taxable_paise: int, *, rate_percent: int, intra_state: bool) -> Gst:
    """GST on ``taxable_paise``: computed once at the full rate and rounded half-up, then split.

    Within the seller's state it is CGST + SGST, each half, the odd paisa (if any) on CGST; across
    states it is IGST. Computing the total once keeps the invoice total independent of the place of
    supply, so it always equals the amount Razorpay charged.
    """
    return gst_on_lines([taxable_paise], rate_percent=rate_percent, intra_state=intra_state)


def gross_with_gst(taxable_paise: int, *, rate_percent: int) -> int:
    return taxable_paise + percent_of(taxable_paise, rate_percent)


def gst_on_lines(line_amounts_paise: list[int], *, rate_percent: int, intra_state: bool) -> Gst:
    """GST on several lines, rounded per line (as each was charged), then split like :func:`gst_for`."""
    total = sum(percent_of(amount, rate_percent) for amount in line_amounts_paise)
    return gst_split(total, intra_state=intra_state)


def gst_split(total_gst_paise: int, *, intra_state: bool) -> Gst:
    """Split a GST amount: IGST across states; CGST + SGST halves within one, odd paisa on CGST."""
    if not intra_state:
        return Gst(0, 0, total_gst_paise)
    sgst = total_gst_paise // 2
    return Gst(total_gst_paise - sgst, sgst, 0)
