"""Telemetry records (public schema, platform-wide, staff-only): per-minute request figures per
endpoint, error groups and slow queries. No request bodies, parameters or personal data."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.db import models


class RequestMinute(models.Model):
    """One endpoint's requests in one minute, rolled up from Redis by the ``ops.telemetry_rollup``
    beat task (the history behind the performance page's 24-hour and 7-day charts)."""

    minute = models.DateTimeField(help_text="Start of the minute (UTC).")
    endpoint = models.CharField(max_length=300, help_text="Route pattern (never the raw path).")
    requests = models.PositiveIntegerField()
    client_errors = models.PositiveIntegerField(help_text="4xx responses, 429s included.")
    server_errors = models.PositiveIntegerField(help_text="5xx responses.")
    rate_limited = models.PositiveIntegerField(help_text="429 responses.")
    duration_ms_sum = models.FloatField()
    # Counts per latency bucket (ops.telemetry.recorder.BUCKETS_MS, the last one unbounded).
    buckets = ArrayField(models.PositiveIntegerField())

    class Meta:
        ordering = ("-minute", "endpoint")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["minute", "endpoint"], name="telemetry_minute_endpoint_unique")
        ]
        indexes: ClassVar = [models.Index(fields=["minute"])]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.endpoint} {self.requests}"


class ErrorCategory(models.TextChoices):
    CLIENT = "client", "Client"
    SERVER = "server", "Server"
    PROVIDER = "provider", "Provider"
    DATABASE = "database", "Database"
    TIMEOUT = "timeout", "Timeout"


class ErrorGroup(models.Model):
    """Unhandled errors of one kind (exception type + innermost location in our code)."""

    fingerprint = models.CharField(max_length=64, unique=True)
    exception_type = models.CharField(max_length=200)
    location = models.CharField(max_length=300, help_text="module:function:line of the innermost frame of ours.")
    category = models.CharField(max_length=16, choices=ErrorCategory.choices)
    message = models.CharField(max_length=300, blank=True, help_text="Truncated; emails, quoted text, digits masked.")
    count = models.PositiveBigIntegerField(default=1)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    last_request_id = models.CharField(max_length=128, blank=True, help_text="Request id, or task id for tasks.")
    last_endpoint = models.CharField(max_length=300, blank=True, help_text="Route pattern, or task:<name>.")
    last_tenant_schema = models.CharField(max_length=63, blank=True)

    class Meta:
        ordering = ("-last_seen",)
        indexes: ClassVar = [models.Index(fields=["category", "last_seen"]), models.Index(fields=["last_seen"])]

    def __str__(self) -> str:
        return f"{self.exception_type} at {self.location} ({self.count})"


class ErrorOccurrence(models.Model):
    """One occurrence per error group per hour (a count), behind the errors-per-hour chart."""

    group = models.ForeignKey(ErrorGroup, on_delete=models.CASCADE, related_name="hours")
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("-hour",)
        constraints: ClassVar = [models.UniqueConstraint(fields=["group", "hour"], name="telemetry_error_hour_unique")]
        indexes: ClassVar = [models.Index(fields=["hour"])]

    def __str__(self) -> str:
        return f"{self.group_id} {self.hour:%Y-%m-%d %H}:00 {self.count}"


class SlowQuery(models.Model):
    """SQL statements slower than SLOW_QUERY_MS, normalised (literals and parameters as ?)."""

    fingerprint = models.CharField(max_length=64, unique=True)
    sql = models.TextField(help_text="Normalised: no literal or parameter values.")
    count = models.PositiveBigIntegerField(default=1)
    total_ms = models.FloatField()
    max_ms = models.FloatField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    last_source = models.CharField(max_length=300, help_text="Route pattern, or task:<name>.")

    class Meta:
        ordering = ("-last_seen",)
        verbose_name_plural = "slow queries"
        indexes: ClassVar = [models.Index(fields=["last_seen"])]

    def __str__(self) -> str:
        return f"{self.sql[:80]} ({self.count}, max {self.max_ms:.0f} ms)"

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.count if self.count else 0.0
