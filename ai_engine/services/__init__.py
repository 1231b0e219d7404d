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
from ai_engine.services.generation import (
    content_generate,
    generation_batch_create,
    generation_batch_resume,
    generation_get,
    generation_update,
)
from ai_engine.services.prompts import (
    brand_voice_update,
    prompt_label_move,
    prompt_library_ensure,
    prompt_template_update,
    prompt_version_create,
    template_get,
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
    "brand_voice_update",
    "content_generate",
    "generation_batch_create",
    "generation_batch_resume",
    "generation_get",
    "generation_update",
    "prompt_label_move",
    "prompt_library_ensure",
    "prompt_template_update",
    "prompt_version_create",
    "template_get",
]
