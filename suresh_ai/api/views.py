"""Base API views: rate limiting runs before permission checks, so failed keys are limited too."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from suresh_ai.api.serializers import IdentifierField


class ThrottleFirstMixin:
    """DRF checks permissions before throttles; we throttle first so 401s and 403s count as well."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.format_kwarg = self.get_format_suffix(**kwargs)  # type: ignore[attr-defined]
        negotiated = self.perform_content_negotiation(request)  # type: ignore[attr-defined]
        request.accepted_renderer, request.accepted_media_type = negotiated
        request.version, request.versioning_scheme = self.determine_version(request, *args, **kwargs)  # type: ignore[attr-defined]
        auth_error: exceptions.APIException | None = None
        try:
            self.perform_authentication(request)  # type: ignore[attr-defined]
        except exceptions.AuthenticationFailed as exc:
            # Rate-limit the failed attempt as an anonymous caller, then report the failure.
            request._not_authenticated()  # type: ignore[attr-defined]
            auth_error = exc
        self.check_throttles(request)  # type: ignore[attr-defined]
        if auth_error is not None:
            raise auth_error
        self.check_permissions(request)  # type: ignore[attr-defined]


class BaseAPIView(ThrottleFirstMixin, APIView):
    pass


class BaseGenericAPIView(ThrottleFirstMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    pass


class BaseListAPIView(ThrottleFirstMixin, generics.ListAPIView):  # type: ignore[type-arg]
    """A paginated list (``get``); subclasses may add ``post`` for creation."""


class StrictSerializerMixin:
    # (Comments, not a docstring: drf-spectacular shows an inherited docstring as every serializer's
    # description in the API reference.) Reject fields the serializer does not know, instead of
    # silently ignoring them, and numbers or booleans sent for text (DRF's CharField would store 42
    # as "42").

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fields = self.fields  # type: ignore[attr-defined]
            unknown = sorted(set(data) - set(fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
            not_text = [
                name
                for name, value in data.items()
                if isinstance(fields[name], serializers.CharField)
                and value is not None
                and not isinstance(value, str)
                and not (isinstance(fields[name], IdentifierField) and type(value) is int)
            ]
            if not_text:
                raise serializers.ValidationError({name: ["Not a valid string."] for name in not_text})
        return super().to_internal_value(data)  # type: ignore[misc]


class ErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField(help_text="Stable machine-readable error code.")
    message = serializers.CharField(help_text="Human-readable explanation.")
    detail = serializers.DictField(help_text="Per-field messages for validation errors; extra data otherwise.")
