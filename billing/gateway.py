"""The platform's Razorpay account, through the official ``razorpay`` SDK.

Every call goes through :func:`call`, which turns the SDK's and the network's failures into our
``ServiceUnavailable`` (503) without echoing keys or provider internals. ``RAZORPAY_API_BASE``
points the SDK at another server (tests start a local fake that speaks Razorpay's HTTP API).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import razorpay
import requests
from django.conf import settings
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError

from suresh_ai.errors import ServiceUnavailable, ValidationFailed

logger = logging.getLogger(__name__)
T = TypeVar("T")


def is_configured() -> bool:
    return bool(settings.RAZORPAY_KEY_ID and settings.RAZORPAY_KEY_SECRET)


def client() -> razorpay.Client:
    if not is_configured():
        raise ServiceUnavailable(
            "Payments are not configured: set RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET.",
            code="payments_not_configured",
        )
    return razorpay.Client(
        auth=(settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET), base_url=settings.RAZORPAY_API_BASE
    )


def call(operation: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one SDK call with our timeout; provider failures become a 503 ``payment_provider_error``."""
    try:
        return fn(*args, timeout=settings.RAZORPAY_TIMEOUT_SECONDS, **kwargs)
    except BadRequestError as exc:
        logger.warning("razorpay_rejected", extra={"operation": operation, "reason": str(exc)[:200]})
        raise ServiceUnavailable(
            f"The payment provider refused the request ({operation}).", code="payment_provider_error"
        ) from exc
    except (GatewayError, ServerError, requests.RequestException, ValueError) as exc:
        logger.warning("razorpay_unavailable", extra={"operation": operation, "error": type(exc).__name__})
        raise ServiceUnavailable(
            "The payment provider is not answering; try again in a minute.", code="payment_provider_error"
        ) from exc


def verify_subscription_payment(*, payment_id: str, subscription_id: str, signature: str) -> None:
    """Checkout's signature: HMAC-SHA256 of ``payment_id|subscription_id`` with the key secret."""
    try:
        client().utility.verify_subscription_payment_signature(
            {
                "razorpay_payment_id": payment_id,
                "razorpay_subscription_id": subscription_id,
                "razorpay_signature": signature,
            }
        )
    except SignatureVerificationError as exc:
        raise ValidationFailed.for_field("razorpay_signature", "The payment signature does not verify.") from exc


def verify_webhook(*, body: bytes, signature: str, secret: str | None = None) -> bool:
    """``X-Razorpay-Signature``: HMAC-SHA256 of the raw body with the webhook secret (the
    platform's, or a tenant's own for its Razorpay account)."""
    secret = settings.RAZORPAY_WEBHOOK_SECRET if secret is None else secret
    if not secret or not signature:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        return bool(razorpay.Utility(None).verify_webhook_signature(text, signature, secret))
    except SignatureVerificationError:
        return False
