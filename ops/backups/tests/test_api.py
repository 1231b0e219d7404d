"""The staff API and page: list, detail, start a backup or a verification (202); members and
anonymous callers are refused."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone

from ops.backups.models import Backup
from suresh_ai.testing import TenantFixture, otp_client, staff_client

BASE = "/api/v1/platform/backups/"


def _done(**fields: Any) -> Backup:
    now = timezone.now()
    defaults: dict[str, Any] = {
        "day": now.date(),
        "status": "succeeded",
        "finished_at": now,
        "size_bytes": 12_345,
        "restore_seconds": 1.5,
        "figures": {"t_alpha": {"intelligence_customer": {"rows": 3, "checksum": "abc"}}},
    }
    return Backup.objects.create(**{**defaults, **fields})


def test_staff_list_detail_and_filters(db: None) -> None:
    ok = _done(verification_status="verified")
    failed = _done(status="failed", error="pg_dump failed", size_bytes=None)
    staff = staff_client("backups@platform.in")
    rows = staff.get(BASE).json()["results"]
    assert [r["id"] for r in rows] == [failed.pk, ok.pk]
    assert rows[1]["tables"] == 1
    assert rows[1]["rows"] == 3
    assert rows[1]["verification_status"] == "verified"
    assert "figures" not in rows[1]
    assert [r["id"] for r in staff.get(f"{BASE}?status=failed").json()["results"]] == [failed.pk]
    assert [r["id"] for r in staff.get(f"{BASE}?verification=verified").json()["results"]] == [ok.pk]
    bad = staff.get(f"{BASE}?status=done")
    assert bad.status_code == 400
    assert bad.json()["detail"] == {"status": ["One of: queued, running, succeeded, failed."]}
    detail = staff.get(f"{BASE}{ok.pk}/").json()
    assert detail["figures"] == ok.figures
    assert staff.get(f"{BASE}999999/").status_code == 404


def test_staff_start_a_backup_and_a_verification(db: None, django_capture_on_commit_callbacks: Any) -> None:
    staff = staff_client("backups@platform.in")
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff.post(BASE)
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["phase"]) == ("queued", "queued")
    assert Backup.objects.get(pk=body["id"]).status == "queued"
    assert len(callbacks) == 1  # the task, sent once the row is committed

    # Asked again (a double click, a retried request): the same backup, sent to the worker again.
    with django_capture_on_commit_callbacks() as callbacks:
        again = staff.post(BASE)
    assert (again.status_code, again.json()["id"]) == (202, body["id"])
    assert Backup.objects.count() == 1
    assert len(callbacks) == 1

    ok = _done()
    with django_capture_on_commit_callbacks() as callbacks:
        response = staff.post(f"{BASE}{ok.pk}/verify/")
    assert response.status_code == 202
    assert response.json()["verification_status"] == "queued"
    assert len(callbacks) == 1
    conflict = staff.post(f"{BASE}{body['id']}/verify/")
    assert conflict.status_code == 409
    assert "only a succeeded backup" in conflict.json()["message"]


def test_a_running_backup_is_returned_and_a_dead_one_is_not(db: None) -> None:
    """While a backup runs (its process holds the backup lock) a request returns it; a row left
    "running" by a process that died holds no lock, so a request queues a new backup."""
    from ops.backups import pg, services

    dead = Backup.objects.create(day=timezone.now().date(), status="running")
    staff = staff_client("backups@platform.in")
    fresh = staff.post(BASE).json()
    assert fresh["id"] != dead.pk
    Backup.objects.filter(pk=fresh["id"]).update(status="running")
    with pg.connect() as conn:  # the running backup's own session
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [services._BACKUP_LOCK])
            try:
                assert staff.post(BASE).json()["id"] == fresh["id"]
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [services._BACKUP_LOCK])
    assert Backup.objects.count() == 2


def test_members_and_anonymous_are_refused(alpha: TenantFixture) -> None:
    ok = _done()
    member = otp_client(alpha.owner)  # a tenant owner on the platform domain is not staff
    anonymous = Client(HTTP_HOST="localhost")
    for client in (member, anonymous, alpha.key_client()):
        for response in (
            client.get(BASE),
            client.get(f"{BASE}{ok.pk}/"),
            client.post(BASE),
            client.post(f"{BASE}{ok.pk}/verify/"),
        ):
            assert response.status_code in (401, 403, 404), response.content
    assert Backup.objects.count() == 1
    assert staff_client("positive@platform.in").get(BASE).status_code == 200  # positive control


def test_staff_page_shows_backups_and_charts(db: None) -> None:
    _done(verification_status="verified", restore_seconds=2.25)
    _done(verification_status="failed", verification_detail="t_alpha.intelligence_order: checksum differs")
    staff = staff_client("page@platform.in")
    response = staff.get("/admin/backups/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Backup size (MB)" in html
    assert "Restore duration" in html
    assert "<svg" in html
    assert "t_alpha.intelligence_order: checksum differs" in html
    assert "Backup verification failed" in html  # backup_check's message on top
    assert otp_client(staff_client_user()).get("/admin/backups/").status_code in (302, 403, 404)
    assert staff.get("/admin/ops_backups/backup/").status_code == 200  # read-only admin


def staff_client_user() -> Any:
    from tenants.models import User

    return User.objects.create_user(email="nonstaff@platform.in", password="a-long-test-passphrase-42")
