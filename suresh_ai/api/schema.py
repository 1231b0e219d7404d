"""OpenAPI generation: every operation documents our error responses in the common shape."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from suresh_ai.api.views import ErrorSerializer

_ERRORS = {
    400: "Invalid input: malformed JSON, wrong types or unknown fields.",
    401: "Missing, invalid, expired or revoked credentials.",
    402: "The workspace is read-only until its subscription is paid (code billing_restricted).",
    403: "Authenticated, but the role or key scope does not allow this.",
    404: "No such object in this tenant.",
    405: "Method not allowed on this path.",
    413: "Request body too large.",
    429: "Rate limit exceeded; see Retry-After.",
    500: "Unexpected server error.",
    503: "A provider we depend on is not configured or not answering (payments_not_configured, "
    "payment_provider_error, ai_provider_not_configured, ai_provider_unavailable); nothing was changed.",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Literal["request", "response"] = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status_code, description in _ERRORS.items():
            if status_code == 400 and self.method == "GET" and not self._get_filter_parameters():
                continue
            if status_code == 402 and self.method in ("GET", "DELETE"):
                continue  # restricted mode refuses only creating and changing
            if status_code == 503 and not getattr(self.view, "uses_payment_provider", False):
                continue
            key = str(status_code)
            if key not in responses:
                responses[key] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=description), key
                )
        return responses
