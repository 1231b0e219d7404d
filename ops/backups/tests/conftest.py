"""Fixtures for backup tests: real pg_dump/pg_restore on the test database, so everything they must
see is committed (``django_db_blocker.unblock()``, autocommit, like tests/test_celery_worker.py) and
removed afterwards; a real S3 API on localhost (moto in server mode)."""

from __future__ import annotations

import base64
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from ops.backups import pg
from ops.backups.models import Backup
from tenants.models import Tenant


@pytest.fixture
def backup_settings(settings: Any, tmp_path: Path) -> Any:
    settings.BACKUP_DIR = str(tmp_path / "backups")
    settings.BACKUP_PG_DUMP = "pg_dump"
    settings.BACKUP_PG_RESTORE = "pg_restore"
    settings.BACKUP_ENCRYPTION_KEY = ""
    settings.BACKUP_S3_BUCKET = ""
    settings.BACKUP_S3_ENDPOINT_URL = ""
    # Named after the test database, so helpers with their own test databases never collide.
    settings.BACKUP_VERIFY_DATABASE = f"{connection.settings_dict['NAME']}_verify"
    return settings


@dataclass
class Committed:
    tenant: Tenant
    customers: int


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any, backup_settings: Any) -> Iterator[Committed]:
    """Committed tenant data in alpha (customers, products, orders); it and every Backup row are
    deleted afterwards."""
    from intelligence.models import Customer, Order, Product

    with django_db_blocker.unblock():
        tenant = Tenant.objects.get(slug="alpha")
        with tenant_context(tenant):
            customers = [
                Customer.objects.create(
                    external_id=f"bk-{i}", email=f"c{i}@example.in", name=f"Customer {i}", attributes={"tier": i % 3}
                )
                for i in range(25)
            ]
            product = Product.objects.create(sku="bk-sku", name="Backup Test Product", price_paise=49_900)
            for i, customer in enumerate(customers):
                Order.objects.create(
                    external_id=f"bk-o{i}", customer=customer, total_paise=1000 + i, created_at=customer.created_at
                )
        try:
            yield Committed(tenant=tenant, customers=len(customers))
        finally:
            with tenant_context(tenant):
                Order.objects.filter(external_id__startswith="bk-").delete()
                Customer.objects.filter(external_id__startswith="bk-").delete()
                Product.objects.filter(pk=product.pk).delete()
            Backup.objects.all().delete()
            pg.database_drop(backup_settings.BACKUP_VERIFY_DATABASE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class S3:
    endpoint: str
    bucket: str

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1")

    def object_keys(self) -> list[str]:
        return [o["Key"] for o in self.client().list_objects_v2(Bucket=self.bucket).get("Contents", [])]


@pytest.fixture
def s3(backup_settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3]:
    """moto's S3 HTTP server on a free localhost port, a bucket, and the settings pointing at it."""
    from moto.server import ThreadedMotoServer

    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        # moto keeps its state per process: a bucket of its own per test.
        s3 = S3(endpoint=f"http://127.0.0.1:{port}", bucket=f"sai-backups-{uuid.uuid4().hex[:12]}")
        s3.client().create_bucket(Bucket=s3.bucket)
        backup_settings.BACKUP_S3_BUCKET = s3.bucket
        backup_settings.BACKUP_S3_ENDPOINT_URL = s3.endpoint
        backup_settings.BACKUP_S3_REGION = "us-east-1"
        backup_settings.BACKUP_S3_PREFIX = "backups/"
        yield s3
    finally:
        server.stop()


@pytest.fixture
def encryption_key(backup_settings: Any) -> str:
    key = base64.b64encode(os.urandom(32)).decode()
    backup_settings.BACKUP_ENCRYPTION_KEY = key
    return key
