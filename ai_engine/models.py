"""AI engine records (tenant schema): every request to a model, metered."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone


class AIRequest(models.Model):
    """One AI request as the gateway served it: who, what, which model, tokens, cost, latency,
    cache, outcome, and every provider attempt made on the way."""

    class Outcome(models.TextChoices):
        OK = "ok", "Answered"
        CACHED = "cached", "Answered from the cache"
        QUOTA = "quota", "Refused: monthly AI quota used up"
        FAILED = "failed", "Every provider attempt failed"
        INTERRUPTED = "interrupted", "Stream cut off before the end"

    created_at = models.DateTimeField(default=timezone.now)
    user_id = models.BigIntegerField(null=True, blank=True, help_text="tenants.User id (public schema).")
    api_key_id = models.BigIntegerField(null=True, blank=True, help_text="tenants.ApiKey id (public schema).")
    task = models.CharField(max_length=32)
    template = models.CharField(max_length=64, blank=True)
    template_version = models.PositiveIntegerField(null=True, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    model = models.CharField(max_length=100, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd_micros = models.PositiveBigIntegerField(default=0, help_text="Millionths of a US dollar.")
    cost_saved_usd_micros = models.PositiveBigIntegerField(default=0, help_text="What a cache hit saved.")
    latency_ms = models.PositiveIntegerField(default=0)
    cache_hit = models.BooleanField(default=False)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    attempts = models.JSONField(default=list, blank=True, help_text="[{model, provider, status, latency_ms}]")

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [models.Index(fields=["created_at"]), models.Index(fields=["task", "created_at"])]

    def __str__(self) -> str:
        return f"{self.task} {self.model or '-'} {self.outcome}"


class AISettings(models.Model):
    """The workspace's own model routing (one row; empty lists follow the platform's routes)."""

    route_long_form = models.JSONField(default=list, blank=True, help_text="Model names, tried in order.")
    route_short = models.JSONField(default=list, blank=True, help_text="Model names, tried in order.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "AI settings"
