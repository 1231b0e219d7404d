"""OpenAPI generation: the schema says what the API really does, so that a client generated from it
(and the seeded schemathesis run in tests/test_schemathesis.py) can rely on it.

- Every operation documents the error responses it can really give, in the common shape, as JSON
  (even where the success is CSV or an event stream).
- A request body read by a strict serializer refuses unknown fields: ``additionalProperties: false``.
- A write may answer 409 (a conflict with the current state).
- A read-only relation whose foreign key may be null is nullable.
- Text that may be empty is documented so: an email or URL that may be blank is "that format, or
  empty"; a choice that may be blank includes "".
- An id field that also takes a whole number (``IdentifierField``) is "text or a whole number".
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from suresh_ai.api.serializers import IdentifierField
from suresh_ai.api.views import ErrorSerializer, StrictSerializerMixin

_ERRORS = {
    400: "Invalid input: malformed JSON, wrong types, unknown fields, a query parameter out of range or "
    "not in its format, or a NUL character in the query string.",
    401: "Missing, invalid, expired or revoked credentials.",
    402: "The workspace is read-only until its subscription is paid (code billing_restricted).",
    403: "Authenticated, but the role or key scope does not allow this.",
    404: "No such object in this tenant.",
    405: "Method not allowed on this path.",
    409: "The change conflicts with the current state: a duplicate, a limit reached, or an object not in a "
    "state that allows it (codes conflict, invalid_state, seat_limit, last_owner, ...); nothing was changed.",
    413: "Request body too large.",
    429: "Rate limit exceeded; see Retry-After.",
    500: "Unexpected server error.",
    503: "A provider we depend on is not configured or not answering (payments_not_configured, "
    "payment_provider_error, ai_provider_not_configured, ai_provider_unavailable); nothing was changed.",
}
_BLANKABLE_FORMATS = ("email", "uri")


def _model_field(field: serializers.Field) -> Any:  # type: ignore[type-arg]
    """The model field a serializer field reads, when its serializer is a ModelSerializer."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return None
    try:
        return model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None


def _may_be_blank(field: serializers.Field) -> bool:  # type: ignore[type-arg]
    """Whether a text field can hold "": it allows blank input, or (read-only, where DRF drops
    ``allow_blank``) its model field is ``blank=True``."""
    return bool(getattr(field, "allow_blank", False) or getattr(_model_field(field), "blank", False))


class ErrorDocumentingAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status_code, description in _ERRORS.items():
            if status_code == 402 and self.method in ("GET", "DELETE"):
                continue  # restricted mode refuses only creating and changing
            if status_code == 409 and self.method == "GET":
                continue  # only a write can conflict (a read that can says so itself)
            if status_code == 503 and not getattr(self.view, "uses_payment_provider", False):
                continue
            key = str(status_code)
            if key not in responses:
                # Errors are JSON whatever the success is (CSV, an event stream).
                responses[key] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=description), key, ["application/json"]
                )
        return responses

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if parameter.get("in") == "query" and schema.get("format") in ("date", "date-time"):
                # The parsers shared with the web pages read an empty date (a form's blank field)
                # as "the default", which every date parameter's description names.
                schema["anyOf"] = [{"format": schema.pop("format")}, {"maxLength": 0}]
        return parameters

    def _map_basic_serializer(self, serializer: Any, direction: Literal["request", "response"]) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictSerializerMixin):
            schema["additionalProperties"] = False  # StrictSerializerMixin answers 400 to unknown fields
        return schema

    def _map_serializer_field(
        self, field: Any, direction: Literal["request", "response"], bypass_extensions: bool = False
    ) -> dict[str, Any] | None:
        schema: dict[str, Any] | None = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema is None or "$ref" in schema:
            return schema
        if isinstance(field, IdentifierField) and direction == "request":
            text = {key: schema.pop(key) for key in ("type", "maxLength", "minLength", "pattern") if key in schema}
            schema["oneOf"] = [text, {"type": "integer"}]
            return schema
        if (
            isinstance(field, serializers.RelatedField)
            and field.read_only
            and getattr(_model_field(field), "null", False)
        ):
            schema["nullable"] = True  # a declared read-only relation whose foreign key may be null
        if (
            isinstance(field, serializers.ChoiceField)
            and "enum" in schema
            and "" not in schema["enum"]
            and _may_be_blank(field)
        ):
            schema["enum"] = [*schema["enum"], ""]  # the enum post-processing names it BlankEnum
        return schema

    def _insert_field_validators(self, field: Any, schema: dict[str, Any]) -> None:
        super()._insert_field_validators(field, schema)
        # After the validators, which set the format of an email or URL field.
        if schema.get("format") in _BLANKABLE_FORMATS and _may_be_blank(field):
            schema["anyOf"] = [{"format": schema.pop("format")}, {"maxLength": 0}]
