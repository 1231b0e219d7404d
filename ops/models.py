"""Operations records (public schema): the audit log, health history, HTTP uptime targets,
incidents and alerts. Backups (ops.backups) and telemetry (ops.telemetry) have their own apps."""

from __future__ import annotations

from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """One state-changing action (API, web app or admin): who, in which tenant, what, from where.

    Append-only: a database trigger refuses UPDATE and DELETE, and every row carries the SHA-256 of
    its content and of the previous row's hash, so a row changed or removed behind the trigger's
    back breaks the chain (ops.audit.audit_verify finds the first broken row)."""

    at = models.DateTimeField(default=timezone.now)
    user_id = models.BigIntegerField(null=True, blank=True)
    user_email = models.CharField(max_length=254, blank=True)
    api_key_id = models.BigIntegerField(null=True, blank=True)
    tenant_schema = models.CharField(max_length=63, blank=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=100, help_text="The view that handled it (app.view).")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ("-id",)
        verbose_name_plural = "audit entries"
        indexes: ClassVar = [
            models.Index(fields=["tenant_schema", "at"]),
            models.Index(fields=["user_id", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.method} {self.path} {self.status_code}"


class HealthCheck(models.Model):
    """One component's check (every HEALTH_CHECK_INTERVAL_SECONDS by beat): the history behind
    the health score, uptime per component and, later, incidents and alerts."""

    component = models.CharField(max_length=32)
    ok = models.BooleanField()
    latency_ms = models.FloatField()
    error = models.CharField(max_length=200, blank=True)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-checked_at", "component")
        indexes: ClassVar = [models.Index(fields=["component", "checked_at"]), models.Index(fields=["checked_at"])]

    def __str__(self) -> str:
        return f"{self.checked_at:%H:%M:%S} {self.component} {'ok' if self.ok else 'down'}"


def validate_http_url(value: str) -> None:
    """http(s) with a host; single-label hosts (a Docker or Kubernetes service: http://web:8000/)
    are fine, unlike Django's URLValidator."""
    from urllib.parse import urlsplit

    from django.core.exceptions import ValidationError

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValidationError("Not a valid URL.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValidationError("Use an http:// or https:// URL with a host.")
    from ops.netguard import target_refusal

    refusal = target_refusal(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    if refusal:
        raise ValidationError(refusal)


class UptimeTarget(models.Model):
    """A URL checked over HTTP with the other components (e.g. the landing page, the API through
    the load balancer): up when it answers the expected status within the timeout."""

    name = models.SlugField(max_length=40, unique=True, help_text="The component is named http:&lt;name&gt;.")
    url = models.CharField(max_length=500, validators=[validate_http_url])
    expected_status = models.PositiveSmallIntegerField(
        default=200,
        validators=[
            MinValueValidator(100, "An HTTP status code, 100 to 599."),
            MaxValueValidator(599, "An HTTP status code, 100 to 599."),
        ],
    )
    timeout_seconds = models.FloatField(
        default=5.0,
        validators=[
            MinValueValidator(0.5, "Between 0.5 and 30 seconds (checks run inside the monitor's round)."),
            MaxValueValidator(30, "Between 0.5 and 30 seconds (checks run inside the monitor's round)."),
        ],
    )
    enabled = models.BooleanField(default=True)
    public = models.BooleanField(default=True, help_text="Shown on the public status page.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    @property
    def component(self) -> str:
        return f"http:{self.name}"


class Incident(models.Model):
    """One outage of one component: opened by the first failed check, closed by the first good one."""

    component = models.CharField(max_length=64)
    cause = models.CharField(max_length=200, blank=True, help_text="The failing check's error at the start.")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    failed_checks = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("-started_at",)
        indexes: ClassVar = [models.Index(fields=["component", "started_at"]), models.Index(fields=["ended_at"])]
        constraints: ClassVar = [
            # At most one open incident per component, whatever races between monitor processes.
            models.UniqueConstraint(
                fields=["component"], condition=models.Q(ended_at=None), name="ops_one_open_incident"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_seconds(self) -> float | None:
        return (self.ended_at - self.started_at).total_seconds() if self.ended_at else None


class Alert(models.Model):
    """One alert: a rule firing for a key (a component, a tenant...). Grouped and de-duplicated: while
    it fires it stays one row (occurrences counts the evaluations); resolving sends a recovery
    message; firing again within the cooldown reopens the same row without a new message."""

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    class Severity(models.TextChoices):
        CRITICAL = "critical", "Critical"
        WARNING = "warning", "Warning"

    rule = models.CharField(max_length=40)
    key = models.CharField(max_length=100)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.CRITICAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FIRING)
    summary = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    first_fired_at = models.DateTimeField(default=timezone.now)
    last_fired_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    reopened = models.PositiveIntegerField(default=0, help_text="Times it fired again within the cooldown.")
    announced = models.BooleanField(
        default=True, help_text="A firing message went out for this firing period (not a quiet reopen)."
    )

    class Meta:
        ordering = ("-last_fired_at",)
        indexes: ClassVar = [models.Index(fields=["rule", "key", "status"]), models.Index(fields=["first_fired_at"])]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["rule", "key"], condition=models.Q(status="firing"), name="ops_one_firing_alert"
            )
        ]

    def __str__(self) -> str:
        return f"[{self.status}] {self.summary}"


class AlertDelivery(models.Model):
    """One message to one channel about one or more alerts (the alert history's delivery log)."""

    class Kind(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Recovery"
        TEST = "test", "Test"

    channel = models.CharField(max_length=16)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    alerts = models.ManyToManyField(Alert, related_name="deliveries", blank=True)
    ok = models.BooleanField()
    error = models.CharField(max_length=200, blank=True)
    latency_ms = models.FloatField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-sent_at",)
        verbose_name_plural = "alert deliveries"
        indexes: ClassVar = [models.Index(fields=["sent_at"])]

    def __str__(self) -> str:
        return f"{self.sent_at:%Y-%m-%d %H:%M:%S} {self.channel} {self.kind} {'ok' if self.ok else 'failed'}"
