"""One row per backup: the dump file, its checksum, the figures taken at dump time, where its
copies are, and the result of its last restore verification."""

from __future__ import annotations

from django.db import models


class Backup(models.Model):
    class Kind(models.TextChoices):
        # Retention tier (grandfather-father-son): the first backup of a month is monthly, else the
        # first of an ISO week is weekly, else daily. Each tier keeps its own number of backups.
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Offsite(models.TextChoices):
        DISABLED = "disabled", "Off-site copies off"
        PENDING = "pending", "Pending"
        UPLOADED = "uploaded", "Uploaded"
        FAILED = "failed", "Failed"

    class Verification(models.TextChoices):
        UNVERIFIED = "unverified", "Unverified"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        VERIFIED = "verified", "Verified"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DAILY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # The UTC day the backup belongs to: a retried daily task finds the day's backup and stops.
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What is running now ("figures", "dumping", "uploading", "restoring", ...) and how far (0..1).
    phase = models.CharField(max_length=40, blank=True)
    progress = models.FloatField(null=True, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_path = models.CharField(max_length=500, blank=True)
    format = models.CharField(max_length=20, default="custom", help_text="pg_dump format (-Fc, compressed).")
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, help_text="Of the stored file (after encryption).")
    encrypted = models.BooleanField(default=False)
    pg_dump_version = models.CharField(max_length=100, blank=True)
    server_version = models.CharField(max_length=100, blank=True)
    # Written to be shown: never a connection string or a credential.
    error = models.TextField(blank=True)
    # {schema: {table: {"rows": n, "checksum": md5}}}, taken in the dump's own snapshot.
    figures = models.JSONField(default=dict, blank=True)
    offsite_key = models.CharField(max_length=500, blank=True)
    offsite_status = models.CharField(max_length=10, choices=Offsite.choices, default=Offsite.DISABLED)
    offsite_error = models.TextField(blank=True)
    verification_status = models.CharField(max_length=10, choices=Verification.choices, default=Verification.UNVERIFIED)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Which schema.table differed, or why the file could not be restored.
    verification_detail = models.TextField(blank=True)
    restore_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["status", "-finished_at"], name="ops_backup_status_finished"),
            models.Index(fields=["day"], name="ops_backup_day"),
        ]

    def __str__(self) -> str:
        return f"backup {self.pk} {self.day} ({self.kind}, {self.status})"

    @property
    def table_count(self) -> int:
        return sum(len(tables) for tables in self.figures.values())

    @property
    def row_count(self) -> int:
        return sum(t["rows"] for tables in self.figures.values() for t in tables.values())
