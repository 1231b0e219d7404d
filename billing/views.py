"""Razorpay's webhook on the platform domain: verify, store, acknowledge; the work runs in a task."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import services, tasks
from suresh_ai.api.errors import error_response
from suresh_ai.errors import ApplicationError


@csrf_exempt  # authenticated by its HMAC signature, not a session
@require_POST
def razorpay_webhook(request: HttpRequest) -> JsonResponse:
    try:
        receipt = services.webhook_receive(
            body=request.body,
            signature=request.headers.get("X-Razorpay-Signature", ""),
            event_id=request.headers.get("X-Razorpay-Event-Id", ""),
        )
    except ApplicationError as exc:
        return error_response(exc.status_code, exc.code, exc.message, exc.detail)
    if receipt.created or receipt.event.processed_at is None:
        event_pk = receipt.event.pk
        transaction.on_commit(lambda: tasks.webhook_process.delay(event_pk=event_pk))
    return JsonResponse({"status": "accepted", "duplicate": not receipt.created})
