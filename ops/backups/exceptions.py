"""Backup errors carry messages written to be stored and shown (never a credential)."""

from __future__ import annotations

from suresh_ai.errors import ApplicationError, Conflict


class BackupError(ApplicationError):
    """A backup, verification or restore could not be done; the message says why."""

    status_code = 500
    code = "backup_failed"


class BackupBusy(Conflict):
    """Another backup (or verification) holds the lock."""


class BackupUnhealthy(Exception):
    """backup_check(): backups are missed, failed or unverified (the message says which)."""
