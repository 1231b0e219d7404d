"""AI engine services: the gateway every AI call goes through, routing, prompts, generation."""

from ai_engine.services.gateway import (
    Actor,
    Completion,
    QuotaExceeded,
    RequestRejected,
    StreamStart,
    ai_complete,
    ai_stream,
)
from ai_engine.services.routing import ai_settings_update

__all__ = [
    "Actor",
    "Completion",
    "QuotaExceeded",
    "RequestRejected",
    "StreamStart",
    "ai_complete",
    "ai_settings_update",
    "ai_stream",
]
