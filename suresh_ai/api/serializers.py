"""Serializer helpers shared by every API."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any, ClassVar

from django.db import models
from rest_framework import serializers

_prototype_lock = threading.Lock()
# The largest money value accepted: Rs 10 lakh crore, far above any price, far below a bigint.
MAX_PAISE = 10**15


class UtcDateTimeField(serializers.DateTimeField):
    """Output-only fast path: values are stored in UTC (USE_TZ), so skip DRF's per-value timezone
    dance and write the same ISO 8601 text DRF would ("2026-11-25T17:07:51.036606Z")."""

    def to_representation(self, value: Any) -> Any:
        if value is None:
            return None
        if getattr(value, "utcoffset", None) is not None and value.utcoffset() == timedelta(0):
            return value.isoformat().replace("+00:00", "Z")
        return super().to_representation(value)


utc_datetime_text = UtcDateTimeField().to_representation  # for rows serialized without DRF fields


class CachedFieldsMixin:
    # (Comments, not a docstring: drf-spectacular would show it as each serializer's description.)
    # For read-only output serializers on hot paths: build the fields once per class, not per object.
    #
    # DRF rebuilds a serializer's fields (introspecting the model for a ModelSerializer) every time
    # one is instantiated, which was a quarter of the CPU of an API read. Output fields here are
    # stateless converters, so a prototype's bound fields serve every instance. Not for serializers
    # whose fields depend on the request or context.

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcDateTimeField,
    }
    _prototype_fields: ClassVar[dict[type, list[serializers.Field]]] = {}  # type: ignore[type-arg]

    @property
    def _readable_fields(self) -> list[serializers.Field]:  # type: ignore[type-arg]
        cls = type(self)
        fields = CachedFieldsMixin._prototype_fields.get(cls)
        if fields is None:
            with _prototype_lock:
                prototype: Any = cls()
                fields = [field for field in prototype.fields.values() if not field.write_only]
                CachedFieldsMixin._prototype_fields[cls] = fields
        return fields


class StrictFloatField(serializers.FloatField):
    """A number, not a boolean (DRF would read ``true`` as 1.0) and not a string."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool | str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number, not a boolean, a string or 1.0."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool | str | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false only (DRF would also take "yes", "on", 1 and friends)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def whole_number_as_text(value: Any) -> Any:
    """An id sent as a whole number, as its decimal text; anything else as it came."""
    return str(value) if type(value) is int else value


class IdentifierField(serializers.CharField):
    """An id from the sender's own system: text, or a whole number taken as its decimal text (carts
    and stores often send numeric ids). Other numbers and booleans are refused like any text field."""

    def to_internal_value(self, data: Any) -> str:
        return super().to_internal_value(whole_number_as_text(data))
