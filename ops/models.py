"""Operations records (public schema): the audit log. Health history, incidents, alerts and
backups come with the rest of the operations issue."""

from __future__ import annotations

from typing import ClassVar

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
