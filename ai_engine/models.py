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
    """The workspace's own model routing (one row; empty lists follow the platform's routes) and
    whether generated content also gets an LLM-as-judge score."""

    route_long_form = models.JSONField(default=list, blank=True, help_text="Model names, tried in order.")
    route_short = models.JSONField(default=list, blank=True, help_text="Model names, tried in order.")
    judge_enabled = models.BooleanField(
        default=False, help_text="Score each generation with an LLM judge too (one more AI request each)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "AI settings"

    def __str__(self) -> str:
        return "AI settings"


class AITask(models.TextChoices):
    LONG_FORM = "long_form", "Long-form writing"
    SHORT = "short", "Short answer"


class PromptTemplate(models.Model):
    """A template of the workspace's prompt library (built-ins are copied in; see prompt_library).

    Its text lives in immutable ``PromptVersion`` rows; ``PromptLabel`` says which version is
    production and which staging; ``split`` runs several versions side by side (prompt A/B)."""

    class Format(models.TextChoices):
        EMAIL = "email", "Email (subject line, then body)"
        MARKDOWN = "markdown", "Markdown with headings"
        PLAIN = "plain", "Plain text"
        SOCIAL = "social", "Social post"
        JSON = "json", "JSON object"

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    task = models.CharField(max_length=16, choices=AITask.choices)
    output_format = models.CharField(max_length=16, choices=Format.choices)
    variables = models.JSONField(default=list, help_text="Typed variables: [{name, label, type, required, ...}]")
    min_words = models.PositiveIntegerField(null=True, blank=True)
    max_words = models.PositiveIntegerField(null=True, blank=True)
    max_chars = models.PositiveIntegerField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    cache_ttl_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Response cache lifetime for this template; empty: the platform default."
    )
    split = models.JSONField(
        default=list, blank=True, help_text="Prompt A/B: [{version, weight}]; empty: the production label."
    )
    builtin_revision = models.PositiveIntegerField(default=0, help_text="Last platform revision copied in.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class PromptVersion(models.Model):
    """One immutable text of a template with its model parameters (a database trigger refuses
    updates: a change is a new version)."""

    class Origin(models.TextChoices):
        PLATFORM = "platform", "Platform library"
        WORKSPACE = "workspace", "This workspace"

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    system = models.TextField()
    user = models.TextField()
    temperature = models.FloatField(default=0.7)
    max_tokens = models.PositiveIntegerField(default=600)
    note = models.CharField(max_length=300, blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.WORKSPACE)
    created_by_id = models.BigIntegerField(null=True, blank=True, help_text="tenants.User id (public schema).")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("template", "-number")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["template", "number"], name="ai_prompt_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template.key} v{self.number}"


class PromptLabel(models.Model):
    """Which version a label (production, staging) points at; rollback = move it back."""

    class Name(models.TextChoices):
        PRODUCTION = "production", "Production"
        STAGING = "staging", "Staging"

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=16, choices=Name.choices)
    version = models.ForeignKey(PromptVersion, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["template", "name"], name="ai_prompt_label_unique")]

    def __str__(self) -> str:
        return f"{self.template.key}:{self.name}"


class PromptLabelMove(models.Model):
    """History of label moves (who promoted or rolled back what, when)."""

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="label_moves")
    label = models.CharField(max_length=16, choices=PromptLabel.Name.choices)
    from_number = models.PositiveIntegerField(null=True, blank=True)
    to_number = models.PositiveIntegerField()
    moved_by_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.template.key}:{self.label} v{self.from_number} -> v{self.to_number}"


class BrandVoice(models.Model):
    """The workspace's voice, applied by every template (one row)."""

    tone = models.CharField(max_length=200, blank=True)
    audience = models.CharField(max_length=200, blank=True)
    words_to_use = models.JSONField(default=list, blank=True)
    words_to_avoid = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Brand voice"


class GenerationBatch(models.Model):
    """Many generations from one template (one per item of variables), run by a Celery task."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Stopped"

    template = models.ForeignKey(PromptTemplate, on_delete=models.PROTECT, related_name="batches")
    label = models.CharField(max_length=16, choices=PromptLabel.Name.choices, default=PromptLabel.Name.PRODUCTION)
    items = models.JSONField(help_text="One variables object per generation.")
    total = models.PositiveIntegerField()
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{index, code, message}]")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    stop_reason = models.CharField(max_length=300, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    api_key_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "generation batches"
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Batch {self.pk} {self.template.key} {self.status}"

    @property
    def progress(self) -> float:
        return round((self.succeeded + self.failed) / self.total, 4) if self.total else 1.0


class Generation(models.Model):
    """One piece of generated content: inputs, the version and how it was chosen, the output,
    its metering, its quality scores and what the user did with it."""

    class Assignment(models.TextChoices):
        PRODUCTION = "production", "Production label"
        STAGING = "staging", "Staging label"
        SPLIT = "split", "Prompt A/B split"
        EXPLICIT = "explicit", "Version chosen explicitly"

    template = models.ForeignKey(PromptTemplate, on_delete=models.PROTECT, related_name="generations")
    version = models.ForeignKey(PromptVersion, on_delete=models.PROTECT, related_name="generations")
    assignment = models.CharField(max_length=12, choices=Assignment.choices)
    subject = models.CharField(max_length=200, blank=True, help_text="End user or customer the A/B split keys on.")
    variables = models.JSONField()
    output = models.TextField()
    edited_output = models.TextField(blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=100)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_usd_micros = models.PositiveBigIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    cached = models.BooleanField(default=False)
    ai_request = models.ForeignKey(AIRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    quality_score = models.DecimalField(max_digits=4, decimal_places=2)
    quality_checks = models.JSONField(default=list)
    judge_score = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    judge_reason = models.CharField(max_length=500, blank=True)
    batch = models.ForeignKey(GenerationBatch, on_delete=models.CASCADE, null=True, blank=True, related_name="results")
    batch_index = models.PositiveIntegerField(null=True, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    api_key_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [
            models.Index(fields=["template", "created_at"]),
            models.Index(fields=["created_at"]),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["batch", "batch_index"],
                condition=models.Q(batch__isnull=False),
                name="ai_generation_batch_item_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="ai_generation_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.key} v{self.version.number} #{self.pk}"

    @property
    def final_text(self) -> str:
        return self.edited_output or self.output
