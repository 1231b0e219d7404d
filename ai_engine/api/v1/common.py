"""Shared by the AI engine's API views: who is asking, and answering as Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.http import StreamingHttpResponse
from rest_framework.request import Request

from ai_engine.services import Actor
from tenants.permissions import principal_for


def actor_for(request: Request) -> Actor:
    """The signed-in user or the API key behind a request, as the gateway meters it."""
    principal = principal_for(request)
    return Actor(
        user_id=principal.user.pk if principal and principal.user else None,
        api_key_id=principal.api_key.pk if principal and principal.api_key else None,
    )


# What one Server-Sent Event of these answers is, for the OpenAPI schema (a client reads the stream
# event by event): its name ("message" when the line is absent) and its data, a JSON text.
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "enum": ["message", "done", "error"]},
        "data": {"type": "string", "description": 'JSON: {"delta"} for a message; the outcome for done or error.'},
    },
    "required": ["data"],
}


def _sse(events: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    for event in events:
        if "delta" in event:
            yield f"data: {json.dumps({'delta': event['delta']})}\n\n".encode()
        elif "done" in event:
            yield f"event: done\ndata: {json.dumps(event['done'])}\n\n".encode()
        else:
            yield f"event: error\ndata: {json.dumps(event['error'])}\n\n".encode()


def sse_response(events: Iterator[dict[str, Any]]) -> StreamingHttpResponse:
    """``{"delta"}`` events as ``data:`` lines, then ``event: done`` or ``event: error``."""
    response = StreamingHttpResponse(_sse(events), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # let a proxy pass each event on at once
    return response
