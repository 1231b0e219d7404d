"""The prompt library: built-ins copied into the workspace, immutable versions, labels and
rollback, prompt A/B splits, brand voice, typed variables and rendering.

Call everything here inside the workspace's schema (a request on its domain, or tenant_context).
"""

from __future__ import annotations

import hashlib
import math
import re
import string
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from ai_engine.models import BrandVoice, Generation, PromptLabel, PromptLabelMove, PromptTemplate, PromptVersion
from ai_engine.prompt_library import BUILTINS, BuiltinTemplate
from suresh_ai.errors import NotFound, ValidationFailed

MAX_TEXT = {"text": 500, "long_text": 20_000, "url": 500}
MAX_VERSION_CHARS = 20_000


def prompt_library_ensure() -> None:
    """Copy in the platform's built-ins this workspace does not have yet, or whose text the
    platform has revised: a revision becomes a new version, labelled staging; production moves
    too only while it still points at the platform's own text (a workspace's override stays)."""
    have = {row["key"]: row for row in PromptTemplate.objects.values("key", "builtin_revision", *METADATA)}
    for spec in BUILTINS:
        row = have.get(spec.key)
        if row is None or row["builtin_revision"] < spec.revision:
            _builtin_install(spec)
        elif any(row[name] != value for name, value in _metadata(spec).items()):
            # The platform changed a built-in's variables, limits or checks (not its text): the
            # template follows; its versions and labels are untouched.
            PromptTemplate.objects.filter(key=spec.key).update(**_metadata(spec))


METADATA = ("name", "description", "task", "output_format", "variables", "min_words", "max_words", "max_chars", "extra")


def _metadata(spec: BuiltinTemplate) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in METADATA}


@transaction.atomic
def _builtin_install(spec: BuiltinTemplate) -> None:
    fields = _metadata(spec)
    template, created = PromptTemplate.objects.select_for_update().get_or_create(key=spec.key, defaults=fields)
    if not created and template.builtin_revision >= spec.revision:
        return  # another process got here first
    if not created:
        PromptTemplate.objects.filter(pk=template.pk).update(**fields)
    version = _version_add(
        template=template,
        system=spec.system,
        user=spec.user,
        temperature=spec.temperature,
        max_tokens=spec.max_tokens,
        note=f"Platform library, revision {spec.revision}",
        origin=PromptVersion.Origin.PLATFORM,
        created_by_id=None,
    )
    production = PromptLabel.objects.filter(template=template, name=PromptLabel.Name.PRODUCTION).first()
    for label in PromptLabel.Name.values:
        if label == PromptLabel.Name.PRODUCTION and production and production.version.origin != "platform":
            continue
        _label_set(template=template, label=label, version=version, moved_by_id=None)
    PromptTemplate.objects.filter(pk=template.pk).update(builtin_revision=spec.revision)


def template_get(key: str) -> PromptTemplate:
    prompt_library_ensure()
    template = PromptTemplate.objects.filter(key=key).first()
    if template is None:
        raise NotFound(f"No prompt template {key!r}.")
    return template


# --- Versions and labels -------------------------------------------------------------------------


def _check_text(field: str, text: Any, declared: set[str]) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed.for_field(field, "Required text.")
    if len(text) > MAX_VERSION_CHARS:
        raise ValidationFailed.for_field(field, f"At most {MAX_VERSION_CHARS} characters.")
    parsed = string.Template(text)
    if not parsed.is_valid():
        raise ValidationFailed.for_field(field, "A '$' must start a variable like $name or ${name}; write $$ for '$'.")
    unknown = sorted(set(parsed.get_identifiers()) - declared)
    if unknown:
        raise ValidationFailed.for_field(
            field, f"Unknown variable(s): {', '.join(unknown)}. Declared: {', '.join(sorted(declared))}."
        )
    return text


def _version_add(
    *,
    template: PromptTemplate,
    system: str,
    user: str,
    temperature: float,
    max_tokens: int,
    note: str,
    origin: str,
    created_by_id: int | None,
) -> PromptVersion:
    last = template.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return PromptVersion.objects.create(
        template=template,
        number=last + 1,
        system=system,
        user=user,
        temperature=temperature,
        max_tokens=max_tokens,
        note=note,
        origin=origin,
        created_by_id=created_by_id,
    )


def prompt_version_create(*, key: str, data: dict[str, Any], created_by_id: int | None) -> PromptVersion:
    """A workspace's own version of a template (its override). Labels do not move: promote it
    with ``prompt_label_move`` once tried (staging first, if you like)."""
    template = template_get(key)
    declared = {v["name"] for v in template.variables}
    system = _check_text("system", data.get("system"), declared)
    user = _check_text("user", data.get("user"), declared)
    temperature = data.get("temperature", 0.7)
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        raise ValidationFailed.for_field("temperature", "A number from 0 to 2.")
    max_tokens = data.get("max_tokens", 600)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= 8192:
        raise ValidationFailed.for_field("max_tokens", "A whole number from 1 to 8192.")
    note = data.get("note", "")
    if not isinstance(note, str) or len(note) > 300:
        raise ValidationFailed.for_field("note", "At most 300 characters.")
    for attempt in range(3):  # two writers may pick the same next number; the unique constraint decides
        try:
            with transaction.atomic():
                locked = PromptTemplate.objects.select_for_update().get(pk=template.pk)
                return _version_add(
                    template=locked,
                    system=system,
                    user=user,
                    temperature=float(temperature),
                    max_tokens=max_tokens,
                    note=note,
                    origin=PromptVersion.Origin.WORKSPACE,
                    created_by_id=created_by_id,
                )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _label_set(*, template: PromptTemplate, label: str, version: PromptVersion, moved_by_id: int | None) -> None:
    current = PromptLabel.objects.filter(template=template, name=label).select_related("version").first()
    if current and current.version_id == version.pk:
        return
    PromptLabel.objects.update_or_create(template=template, name=label, defaults={"version": version})
    PromptLabelMove.objects.create(
        template=template,
        label=label,
        from_number=current.version.number if current else None,
        to_number=version.number,
        moved_by_id=moved_by_id,
    )


def prompt_label_move(*, key: str, label: Any, number: Any, moved_by_id: int | None) -> PromptLabel:
    """Point ``label`` at version ``number``: a promotion, or a rollback to an earlier version."""
    if label not in PromptLabel.Name.values:
        raise ValidationFailed.for_field("label", f"Choose one of: {', '.join(PromptLabel.Name.values)}.")
    if isinstance(number, bool) or not isinstance(number, int):
        raise ValidationFailed.for_field("version", "A version number.")
    template = template_get(key)
    version = template.versions.filter(number=number).first()
    if version is None:
        raise ValidationFailed.for_field("version", f"{template.name} has no version {number}.")
    with transaction.atomic():
        PromptTemplate.objects.select_for_update().get(pk=template.pk)
        _label_set(template=template, label=label, version=version, moved_by_id=moved_by_id)
    return PromptLabel.objects.select_related("version").get(template=template, name=label)


def prompt_template_update(*, key: str, data: dict[str, Any]) -> PromptTemplate:
    """The template's own settings: prompt A/B split and cache lifetime."""
    template = template_get(key)
    if "split" in data:
        template.split = _check_split(template, data["split"])
    if "cache_ttl_seconds" in data:
        ttl = data["cache_ttl_seconds"]
        if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= 86_400):
            raise ValidationFailed.for_field("cache_ttl_seconds", "Seconds from 0 (no caching) to 86400, or null.")
        template.cache_ttl_seconds = ttl
    template.save(update_fields=["split", "cache_ttl_seconds", "updated_at"])
    return template


def _check_split(template: PromptTemplate, split: Any) -> list[dict[str, int]]:
    if split in (None, []):
        return []
    if not isinstance(split, list) or not 2 <= len(split) <= 5:
        raise ValidationFailed.for_field("split", "A list of 2 to 5 {version, weight} entries, or [] to stop.")
    numbers = set(template.versions.values_list("number", flat=True))
    clean: list[dict[str, int]] = []
    for i, arm in enumerate(split):
        version, weight = (arm.get("version"), arm.get("weight")) if isinstance(arm, dict) else (None, None)
        if not isinstance(version, int) or isinstance(version, bool) or version not in numbers:
            raise ValidationFailed.for_field("split", f"Entry {i}: version must be one of {sorted(numbers)}.")
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= 100:
            raise ValidationFailed.for_field("split", f"Entry {i}: weight must be a whole number from 1 to 100.")
        if any(a["version"] == version for a in clean):
            raise ValidationFailed.for_field("split", f"Entry {i}: version {version} is listed twice.")
        clean.append({"version": version, "weight": weight})
    return clean


# --- Choosing a version ----------------------------------------------------------------------------


def split_bucket(key: str, subject: str, total_weight: int) -> int:
    """Deterministic bucket in [0, total_weight) for a subject: same subject, same version, in
    every process and after restarts (a hash, not Python's randomised ``hash``)."""
    digest = hashlib.sha256(f"{key}\x00{subject}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % total_weight


@dataclass(frozen=True)
class Choice:
    version: PromptVersion
    assignment: str


def version_choose(
    *, template: PromptTemplate, subject: str = "", label: str | None = None, number: int | None = None
) -> Choice:
    """Which version a generation uses: an explicit version, else an explicit label, else the
    template's A/B split for this subject (when both exist), else production."""
    if number is not None:
        version = template.versions.filter(number=number).first()
        if version is None:
            raise ValidationFailed.for_field("version", f"{template.name} has no version {number}.")
        return Choice(version, Generation.Assignment.EXPLICIT)
    if label is None and template.split and subject:
        total = sum(arm["weight"] for arm in template.split)
        bucket = split_bucket(template.key, subject, total)
        for arm in template.split:
            if bucket < arm["weight"]:
                return Choice(template.versions.get(number=arm["version"]), Generation.Assignment.SPLIT)
            bucket -= arm["weight"]
    name = label or PromptLabel.Name.PRODUCTION
    if name not in PromptLabel.Name.values:
        raise ValidationFailed.for_field("label", f"Choose one of: {', '.join(PromptLabel.Name.values)}.")
    found = PromptLabel.objects.select_related("version").filter(template=template, name=name).first()
    if found is None:
        raise ValidationFailed.for_field("label", f"{template.name} has no {name} version.")
    return Choice(found.version, name)


# --- Variables and rendering -----------------------------------------------------------------------


def variables_validate(template: PromptTemplate, raw: Any, *, business_name: str) -> dict[str, Any]:
    """Check ``raw`` against the template's typed variables before any model call. Errors are
    reported per variable (``variables.<name>``), all at once; unknown names are refused."""
    if not isinstance(raw, dict):
        raise ValidationFailed.for_field("variables", "An object of variable names to values.")
    specs = {v["name"]: v for v in template.variables}
    values = dict(raw)
    if "business_name" in specs and not values.get("business_name"):
        values["business_name"] = business_name  # the workspace's own name unless told otherwise
    errors: dict[str, list[str]] = {}
    for name in sorted(set(values) - set(specs)):
        errors[f"variables.{name}"] = [f"Not a variable of {template.name}. Known: {', '.join(sorted(specs))}."]
    clean: dict[str, Any] = {}
    for name, spec in specs.items():
        value = values.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "" or value == []:
            if "default" in spec:
                clean[name] = spec["default"]
            elif spec.get("required", True):
                errors[f"variables.{name}"] = [f"{spec.get('label', name)}: required."]
            else:
                clean[name] = "" if spec["type"] != "list" else []
            continue
        if spec["type"] == "choice" and isinstance(value, str):
            value = _choice_as_defined(spec["choices"], value)
        problem = _variable_problem(spec, value)
        if problem:
            errors[f"variables.{name}"] = [f"{spec.get('label', name)}: {problem}"]
        else:
            clean[name] = value.strip() if isinstance(value, str) else value
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", detail=errors)
    return clean


def _choice_as_defined(choices: list[str], value: str) -> str:
    """A choice in any case, as the template defines it ("Google" -> "google"): forms show the
    choices capitalised, and a CSV typed by hand uses what it sees."""
    folded = value.casefold()
    return next((choice for choice in choices if choice.casefold() == folded), value)


def _variable_problem(spec: dict[str, Any], value: Any) -> str | None:
    kind = spec["type"]
    if kind in ("text", "long_text", "url", "choice") and not isinstance(value, str):
        return "must be text."
    if kind in ("text", "long_text", "url"):
        limit = spec.get("max_length", MAX_TEXT[kind])
        if len(value) > limit:
            return f"at most {limit} characters."
        if kind == "url":
            parts = urlsplit(value.strip())
            if parts.scheme not in ("http", "https") or not parts.netloc:
                return "must be a full http(s) address."
        return None
    if kind == "choice":
        return None if value in spec["choices"] else f"choose one of: {', '.join(spec['choices'])}."
    if kind in ("integer", "number"):
        numeric = isinstance(value, int) if kind == "integer" else isinstance(value, int | float)
        if isinstance(value, bool) or not numeric or (isinstance(value, float) and not math.isfinite(value)):
            return "must be a whole number." if kind == "integer" else "must be a number."
        if ("min" in spec and value < spec["min"]) or ("max" in spec and value > spec["max"]):
            return f"from {spec.get('min', '-')} to {spec.get('max', '-')}."
        return None
    if kind == "list":
        limit, item_limit = spec.get("max_items", 20), spec.get("max_length", 200)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return "must be a list of texts."
        if len(value) > limit:
            return f"at most {limit} items."
        if any(len(v) > item_limit for v in value):
            return f"each item at most {item_limit} characters."
        return None
    return f"unknown type {kind!r}."


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v).strip() for v in value)
    return str(value)


def brand_voice_text(voice: BrandVoice | None) -> str:
    """The brand voice as instructions appended to every template's system prompt."""
    if voice is None:
        return ""
    parts = []
    if voice.tone:
        parts.append(f"Tone: {voice.tone}.")
    if voice.audience:
        parts.append(f"Audience: {voice.audience}.")
    if voice.words_to_use:
        parts.append(f"Use these words where they fit naturally: {', '.join(voice.words_to_use)}.")
    if voice.words_to_avoid:
        parts.append(f"Never use these words: {', '.join(voice.words_to_avoid)}.")
    return ("Brand voice. " + " ".join(parts)) if parts else ""


def messages_render(version: PromptVersion, values: dict[str, Any], voice: BrandVoice | None) -> list[dict[str, str]]:
    """The chat messages for one generation (what the cache key and the model see)."""
    mapping = {k: _as_text(v) for k, v in values.items()}
    system = string.Template(version.system).safe_substitute(mapping)
    extra = brand_voice_text(voice)
    if extra:
        system = f"{system}\n\n{extra}"
    user = string.Template(version.user).safe_substitute(mapping)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


# --- Brand voice ------------------------------------------------------------------------------------

WORD = re.compile(r"^[\w][\w' -]{0,39}$")


def brand_voice_update(*, data: dict[str, Any]) -> BrandVoice:
    errors: dict[str, list[str]] = {}
    for field in ("tone", "audience"):
        if field in data and (not isinstance(data[field], str) or len(data[field]) > 200):
            errors[field] = ["Text of at most 200 characters."]
    for field in ("words_to_use", "words_to_avoid"):
        if field in data:
            words = data[field]
            if (
                not isinstance(words, list)
                or len(words) > 50
                or not all(isinstance(w, str) and WORD.match(w.strip()) for w in words)
            ):
                errors[field] = ["A list of at most 50 words or short phrases (letters, digits, spaces, ' and -)."]
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first][0]}", detail=errors)
    with transaction.atomic():
        voice = BrandVoice.objects.select_for_update().first() or BrandVoice()
        for field in ("tone", "audience"):
            if field in data:
                setattr(voice, field, data[field].strip())
        for field in ("words_to_use", "words_to_avoid"):
            if field in data:
                setattr(voice, field, list(dict.fromkeys(w.strip() for w in data[field])))
        voice.save()
    return voice
