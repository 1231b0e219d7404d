"""A failed hard requirement (mentions, length, format, banned words) caps the quality score at 4.00."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ai_engine.quality import HARD_FAIL_CAP, Check, quality_score


def _checks(**passed: float) -> list[Check]:
    weights = {"mentions": 3, "length": 2, "format": 2, "banned_words": 2, "readability": 1}
    return [Check(name, weights[name], passed.get(name, 1.0), "") for name in weights]


@pytest.mark.parametrize(
    ("passed", "score"),
    [
        ({}, "10.00"),
        ({"readability": 0.0}, "9.00"),  # style alone never caps
        ({"readability": 0.5}, "9.50"),
        ({"length": 0.0}, "4.00"),  # 8.00 by weight before the cap
        ({"format": 0.0}, "4.00"),
        ({"length": 0.0, "format": 0.0}, "4.00"),  # 6.00 by weight
        ({"banned_words": 0.0}, "4.00"),
        ({"mentions": 0.0}, "4.00"),  # 7.00 by weight
        ({"mentions": 0.0, "length": 0.0, "format": 0.0, "banned_words": 0.0}, "1.00"),  # below the cap already
    ],
)
def test_hard_failures_cap_the_score(passed: dict[str, float], score: str) -> None:
    assert quality_score(_checks(**passed)) == Decimal(score)


def test_cap_applies_when_a_check_did_not_apply() -> None:
    """JSON output has no readability check: weights 9, a failed format still caps."""
    checks = [c for c in _checks(format=0.0) if c.name != "readability"]
    assert quality_score(checks) == HARD_FAIL_CAP
