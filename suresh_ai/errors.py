"""Typed application errors raised by services; the API and web layers map them to responses."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.detail = detail if detail is not None else {}


class ValidationFailed(ApplicationError):
    """Input that breaks a rule; ``detail`` maps each field to its messages."""

    status_code = 400
    code = "validation_error"

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", detail={field: [message]})


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"


class Forbidden(ApplicationError):
    status_code = 403
    code = "permission_denied"


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"


class PaymentRequired(ApplicationError):
    """The workspace's billing does not allow this action now (restricted mode)."""

    status_code = 402
    code = "billing_restricted"


class ServiceUnavailable(ApplicationError):
    """A dependency we need (a payment or AI provider) is not configured or not answering."""

    status_code = 503
    code = "service_unavailable"
