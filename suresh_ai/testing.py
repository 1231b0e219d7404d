"""Helpers for tests: tenant fixtures, members, signed-in clients and keys."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import Client

from tenants.models import Membership, Role, Tenant, User
from tenants.services import api_key_create

PASSWORD = "a-long-test-passphrase-42"


@dataclass
class TenantFixture:
    tenant: Tenant
    owner: User
    host: str
    admin_key: str

    def client(self) -> Client:
        return Client(HTTP_HOST=self.host)

    def key_client(self, key: str | None = None) -> Client:
        return Client(HTTP_HOST=self.host, HTTP_AUTHORIZATION=f"Bearer {key or self.admin_key}")


def fixture_for(slug: str) -> TenantFixture:
    tenant = Tenant.objects.get(slug=slug)
    owner = User.objects.get(email=f"owner@{slug}.in")
    # A fresh key per test (rolled back with the test), so rate limits never leak between tests.
    issued = api_key_create(tenant=tenant, name="test admin key", scopes=["admin"], created_by=owner)
    return TenantFixture(tenant=tenant, owner=owner, host=f"{slug}.localhost", admin_key=issued.raw_key)


def make_member(tenant: Tenant, role: str = Role.ANALYST, email: str | None = None) -> User:
    user = User.objects.create_user(email=email or f"{role}-{User.objects.count()}@{tenant.slug}.in", password=PASSWORD)
    Membership.objects.create(tenant=tenant, user=user, role=role)
    return user


def login_client(fixture: TenantFixture, user: User) -> Client:
    client = fixture.client()
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def key_with(tenant: Tenant, scopes: list[str]) -> str:
    return api_key_create(tenant=tenant, name="scoped", scopes=scopes, created_by=None).raw_key


def otp_client(user: User, host: str = "localhost") -> Client:
    """A client signed in as ``user`` with a verified second factor (what the admin requires)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client = Client(HTTP_HOST=host)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = StaticDevice.objects.create(user=user, name="test").persistent_id
    session.save()
    return client


def staff_client(email: str = "staff@platform.in", *, superuser: bool = True) -> Client:
    """Platform staff on the platform domain, signed in with a verified second factor."""
    staff = User.objects.create_user(email=email, password=PASSWORD, is_staff=True, is_superuser=superuser)
    return otp_client(staff)
