"""Off-site copies in S3-compatible storage (AWS S3, MinIO, R2, ...) through boto3.

Credentials come from boto3's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile,
an instance role); we never read or log them. Off when BACKUP_S3_BUCKET is empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from ops.backups.exceptions import BackupError


def enabled() -> bool:
    return bool(settings.BACKUP_S3_BUCKET)


def _client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=settings.BACKUP_S3_ENDPOINT_URL or None,
        region_name=settings.BACKUP_S3_REGION or None,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=10, read_timeout=120),
    )


def key_for(file_name: str) -> str:
    return f"{settings.BACKUP_S3_PREFIX}{file_name}"


def _safe(exc: Exception) -> str:
    # botocore messages name the operation, bucket and error code; never the credentials.
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def upload(path: Path, key: str, *, sha256: str) -> None:
    """Multipart upload (streamed from disk), the SHA-256 kept as object metadata."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _client().upload_file(str(path), settings.BACKUP_S3_BUCKET, key, ExtraArgs={"Metadata": {"sha256": sha256}})
    except (BotoCoreError, ClientError, Boto3Error, OSError) as exc:
        raise BackupError(f"Off-site upload to bucket {settings.BACKUP_S3_BUCKET!r} failed: {_safe(exc)}") from exc


def download(key: str, path: Path) -> None:
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _client().download_file(settings.BACKUP_S3_BUCKET, key, str(path))
    except (BotoCoreError, ClientError, Boto3Error, OSError) as exc:
        path.unlink(missing_ok=True)
        raise BackupError(f"Off-site download of {key!r} failed: {_safe(exc)}") from exc


def delete(key: str) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _client().delete_object(Bucket=settings.BACKUP_S3_BUCKET, Key=key)
    except (BotoCoreError, ClientError) as exc:
        raise BackupError(f"Off-site delete of {key!r} failed: {_safe(exc)}") from exc


def keys() -> list[str]:
    """Every object under BACKUP_S3_PREFIX (for checks and tests)."""
    paginator = _client().get_paginator("list_objects_v2")
    found: list[str] = []
    for page in paginator.paginate(Bucket=settings.BACKUP_S3_BUCKET, Prefix=settings.BACKUP_S3_PREFIX):
        found += [item["Key"] for item in page.get("Contents", [])]
    return found
