"""Platform staff create tenants through the admin and the platform API (same service as sign-up)."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from suresh_ai.testing import PASSWORD, TenantFixture
from tenants.models import Domain, Membership, Tenant, User


def _staff_client(*, verified: bool = True) -> Client:
    staff = User.objects.create_user(email="staff@platform.in", password=PASSWORD, is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    if verified:
        device = StaticDevice.objects.create(user=staff, name="backup")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def test_platform_api_creates_and_lists_tenants(db: None) -> None:
    client = _staff_client()
    response = client.post(
        "/api/v1/platform/tenants/",
        {"name": "Zeta Zips", "slug": "zeta", "owner_email": "o@zeta.in", "owner_password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["schema_name"] == "t_zeta"
    assert body["domains"] == ["zeta.localhost"]
    assert Membership.objects.get(tenant__slug="zeta").user.email == "o@zeta.in"
    slugs = [t["slug"] for t in client.get("/api/v1/platform/tenants/").json()["results"]]
    assert {"alpha", "beta", "zeta"} <= set(slugs)
    assert "public" not in slugs


def test_platform_api_bad_input_creates_nothing(db: None) -> None:
    client = _staff_client()
    before = Tenant.objects.count()
    for payload, field in [
        ({"name": "X", "slug": "Bad Slug", "owner_email": "o@x.in", "owner_password": PASSWORD}, "slug"),
        ({"name": "X", "slug": "okay", "owner_email": "o@x.in", "owner_password": "short"}, "owner_password"),
        ({"name": "X", "slug": "okay", "owner_email": "nobody@x.in"}, "owner_email"),
        ({"name": "X", "slug": "okay", "owner_email": "o@x.in", "plan": "free"}, "plan"),
    ]:
        response = client.post("/api/v1/platform/tenants/", payload, content_type="application/json")
        assert response.status_code == 400, payload
        assert field in response.json()["detail"], response.json()
    assert Tenant.objects.count() == before
    assert not User.objects.filter(email="o@x.in").exists()


def test_platform_api_is_staff_only_and_platform_domain_only(alpha: TenantFixture) -> None:
    assert Client(HTTP_HOST="localhost").get("/api/v1/platform/tenants/").status_code == 401
    member = Client(HTTP_HOST="localhost")
    member.force_login(alpha.owner)
    assert member.get("/api/v1/platform/tenants/").status_code == 403
    unverified = _staff_client(verified=False)
    assert unverified.get("/api/v1/platform/tenants/").json()["code"] == "otp_required"
    # Tenant domains do not serve the platform API at all, and tenant keys do not reach it.
    assert alpha.key_client().get("/api/v1/platform/tenants/").status_code == 404


def test_admin_add_tenant_uses_the_service(db: None) -> None:
    client = _staff_client()
    page = client.get("/admin/tenants/tenant/add/")
    assert page.status_code == 200
    assert b"owner_email" in page.content
    response = client.post(
        "/admin/tenants/tenant/add/",
        {"name": "Eta Eats", "slug": "eta", "owner_email": "o@eta.in", "owner_password": PASSWORD, "custom_domain": ""},
    )
    assert response.status_code == 302
    tenant = Tenant.objects.get(slug="eta")
    assert Domain.objects.get(tenant=tenant).domain == "eta.localhost"
    again = client.post(
        "/admin/tenants/tenant/add/",
        {"name": "Eta Again", "slug": "eta", "owner_email": "o2@eta.in", "owner_password": PASSWORD},
    )
    assert b"already taken" in again.content
