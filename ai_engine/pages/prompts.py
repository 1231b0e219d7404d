"""Prompt library pages: the templates, the brand voice, and per template its versions, labels
(promote, roll back), a new version (the workspace's override), the A/B split and cache lifetime."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ai_engine import selectors, services
from ai_engine.models import BrandVoice, PromptLabel
from suresh_ai.errors import ValidationFailed
from tenants.models import Role
from tenants.views.auth import member_required


def _words(value: str) -> list[str]:
    return [w.strip() for w in value.replace("\n", ",").split(",") if w.strip()]


class BrandVoiceForm(forms.Form):
    tone = forms.CharField(required=False, max_length=200, help_text="e.g. warm, plain-spoken, a little playful")
    audience = forms.CharField(required=False, max_length=200, help_text="e.g. home cooks in Tier-2 cities")
    words_to_use = forms.CharField(required=False, max_length=2000, help_text="Comma-separated.")
    words_to_avoid = forms.CharField(required=False, max_length=2000, help_text="Comma-separated.")


@member_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def prompts_page(request: HttpRequest) -> HttpResponse:
    voice = BrandVoice.objects.first()
    initial = {
        "tone": voice.tone if voice else "",
        "audience": voice.audience if voice else "",
        "words_to_use": ", ".join(voice.words_to_use) if voice else "",
        "words_to_avoid": ", ".join(voice.words_to_avoid) if voice else "",
    }
    form = BrandVoiceForm(request.POST or None, initial=initial)
    can_edit = request.membership.role in (Role.OWNER, Role.ADMIN)  # type: ignore[attr-defined]
    if request.method == "POST":
        if not can_edit:
            return render(request, "errors/403.html", {"message": "This needs the admin role."}, status=403)
        if form.is_valid():
            data = {**form.cleaned_data}
            data["words_to_use"], data["words_to_avoid"] = _words(data["words_to_use"]), _words(data["words_to_avoid"])
            try:
                services.brand_voice_update(data=data)
            except ValidationFailed as exc:
                for name, problems in (exc.detail or {}).items():
                    form.add_error(name if name in form.fields else None, problems[0])
            else:
                messages.success(request, "Brand voice saved. Every template applies it from the next generation.")
                return redirect("ai-prompts")
    context = {"templates": selectors.templates_list(), "form": form, "can_edit": can_edit}
    return render(request, "ai/prompts.html", context)


class VersionForm(forms.Form):
    system = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    user = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    temperature = forms.FloatField(min_value=0, max_value=2, initial=0.7)
    max_tokens = forms.IntegerField(min_value=1, max_value=8192, initial=600)
    note = forms.CharField(required=False, max_length=300, help_text="What changed and why.")


class SettingsForm(forms.Form):
    split = forms.CharField(
        required=False,
        max_length=200,
        label="A/B split",
        help_text="version:weight pairs, e.g. '1:50, 2:50'. Empty: everyone gets production.",
    )
    cache_ttl_seconds = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=86_400,
        label="Cache lifetime (seconds)",
        help_text="Empty: the platform default. 0: never reuse an answer.",
    )


def _parse_split(raw: str) -> list[dict[str, Any]] | None:
    arms = []
    for part in [p.strip() for p in raw.split(",") if p.strip()]:
        number, _, weight = part.partition(":")
        if not number.strip().isdigit() or not weight.strip().isdigit():
            return None
        arms.append({"version": int(number), "weight": int(weight)})
    return arms


@member_required(Role.ANALYST)
@require_http_methods(["GET", "POST"])
def prompt_page(request: HttpRequest, key: str) -> HttpResponse:
    template = services.template_get(key)
    can_edit = request.membership.role in (Role.OWNER, Role.ADMIN)  # type: ignore[attr-defined]
    production = PromptLabel.objects.filter(template=template, name="production").select_related("version").first()
    base = production.version if production else None
    version_form = VersionForm(
        initial={
            "system": base.system if base else "",
            "user": base.user if base else "",
            "temperature": base.temperature if base else 0.7,
            "max_tokens": base.max_tokens if base else 600,
        }
    )
    split_text = ", ".join(f"{a['version']}:{a['weight']}" for a in template.split)
    settings_form = SettingsForm(initial={"split": split_text, "cache_ttl_seconds": template.cache_ttl_seconds})
    if request.method == "POST":
        if not can_edit:
            return render(request, "errors/403.html", {"message": "This needs the admin role."}, status=403)
        action = request.POST.get("action")
        try:
            if action == "version":
                version_form = VersionForm(request.POST)
                if version_form.is_valid():
                    created = services.prompt_version_create(
                        key=key, data=version_form.cleaned_data, created_by_id=request.user.pk
                    )
                    messages.success(request, f"Version {created.number} added. Move a label to use it.")
                    return redirect("ai-prompt", key=key)
            elif action == "settings":
                settings_form = SettingsForm(request.POST)
                if settings_form.is_valid():
                    split = _parse_split(settings_form.cleaned_data["split"] or "")
                    if split is None:
                        settings_form.add_error("split", "Write version:weight pairs, e.g. '1:50, 2:50'.")
                    else:
                        services.prompt_template_update(
                            key=key,
                            data={"split": split, "cache_ttl_seconds": settings_form.cleaned_data["cache_ttl_seconds"]},
                        )
                        messages.success(request, "Saved.")
                        return redirect("ai-prompt", key=key)
        except ValidationFailed as exc:
            target = version_form if action == "version" else settings_form
            for name, problems in (exc.detail or {}).items():
                target.add_error(name if name in target.fields else None, problems[0])
    detail = selectors.templates_list().get(pk=template.pk)
    labels = {label.name: label.version.number for label in detail.labels.all()}
    context = {
        "template": detail,
        "versions": detail.versions.order_by("-number"),
        "labels": labels,
        "moves": detail.label_moves.all()[:20],
        "version_form": version_form,
        "settings_form": settings_form,
        "can_edit": can_edit,
    }
    return render(request, "ai/prompt.html", context)


@member_required(Role.ADMIN)
@require_POST
def prompt_label(request: HttpRequest, key: str) -> HttpResponse:
    number = request.POST.get("version", "")
    try:
        services.prompt_label_move(
            key=key,
            label=request.POST.get("label"),
            number=int(number) if number.isdigit() else None,
            moved_by_id=request.user.pk,
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{request.POST.get('label', '').title()} now uses version {number}.")
    return redirect("ai-prompt", key=key)
