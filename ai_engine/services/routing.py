"""The workspace's own model routing."""

from __future__ import annotations

from typing import Any

from ai_engine.catalogue import catalogue
from ai_engine.models import AISettings
from suresh_ai.errors import ValidationFailed


def ai_settings_update(*, data: dict[str, Any]) -> AISettings:
    """Set the workspace's routes (every name must be in the catalogue) and whether generations
    also get an LLM-judge score. Call inside its schema."""
    known = catalogue()
    errors: dict[str, list[str]] = {}
    for field_name in ("route_long_form", "route_short"):
        names = data.get(field_name)
        if names is None:
            continue
        if not isinstance(names, list) or len(names) > 5 or not all(isinstance(n, str) for n in names):
            errors[field_name] = ["A list of at most 5 model names."]
        elif unknown := [n for n in names if n not in known]:
            errors[field_name] = [f"Unknown model(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}."]
    if "judge_enabled" in data and not isinstance(data["judge_enabled"], bool):
        errors["judge_enabled"] = ["true or false."]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", detail=errors)
    own = AISettings.objects.first() or AISettings()
    for field_name in ("route_long_form", "route_short"):
        if field_name in data:
            setattr(own, field_name, list(dict.fromkeys(data[field_name])))
    if "judge_enabled" in data:
        own.judge_enabled = data["judge_enabled"]
    own.save()
    return own
