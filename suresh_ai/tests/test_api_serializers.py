"""Fast output fields write exactly what DRF would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from rest_framework import serializers

from suresh_ai.api.serializers import UtcDateTimeField


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 25, 17, 7, 51, 36606, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 1, 1, 5, 30, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        None,
    ],
)
def test_utc_datetime_field_matches_drf(value: datetime | None) -> None:
    assert UtcDateTimeField().to_representation(value) == serializers.DateTimeField().to_representation(value)
