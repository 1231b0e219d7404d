"""Tenancy services: atomic, fast tenant creation; invitations; API keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_exists

from suresh_ai.errors import Conflict, Forbidden, NotFound, ValidationFailed
from suresh_ai.testing import PASSWORD, TenantFixture, make_member
from tenants import services
from tenants.models import ApiKey, Domain, Invitation, Membership, Role, Tenant, User


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_tenant_create_makes_schema_domain_owner(db: None) -> None:
    created = services.tenant_create(
        name="Gamma Goods", slug="gamma", owner_email="Owner@Gamma.in", owner_password=PASSWORD
    )
    tenant = created.tenant
    assert tenant.schema_name == "t_gamma"
    assert schema_exists("t_gamma")
    # The clone carries every table (and migration record) of the template schema.
    assert _tables("t_gamma") == _tables("tenant_template")
    assert "django_migrations" in _tables("t_gamma")
    assert Domain.objects.get(tenant=tenant, is_primary=True).domain == "gamma.localhost"
    assert Membership.objects.get(tenant=tenant).role == Role.OWNER
    assert created.owner.email == "owner@gamma.in"


def test_tenant_create_clones_the_template_instead_of_migrating(db: None) -> None:
    """Creation copies the migrated template schema (fast whatever the number of migrations:
    benchmarks/tenant_create.py measures it; no wall-clock limit here, the machine may be busy)."""
    from django.conf import settings
    from django.db import connection

    created = services.tenant_create(name="Fast", slug="fast-one", owner_email="o@fast.in", owner_password=PASSWORD)
    assert created.seconds > 0

    def applied(schema: str) -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')  # noqa: S608
            return list(cursor.fetchall())

    assert applied("t_fast_one") == applied(settings.TENANT_TEMPLATE_SCHEMA)
    assert applied("t_fast_one")  # the template really is migrated


def test_tenant_create_failure_leaves_nothing(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the schema was cloned rolls back the schema and every row."""
    real_clone = services.schema_clone

    def clone_then_fail(**kwargs: str) -> None:
        real_clone(**kwargs)
        assert schema_exists("t_doomed")  # the schema really existed inside the transaction
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "schema_clone", clone_then_fail)
    users_before = User.objects.count()
    with pytest.raises(RuntimeError):
        services.tenant_create(name="Doomed", slug="doomed", owner_email="o@doomed.in", owner_password=PASSWORD)
    assert not schema_exists("t_doomed")
    assert not Tenant.objects.filter(slug="doomed").exists()
    assert not Domain.objects.filter(domain="doomed.localhost").exists()
    assert User.objects.count() == users_before


@pytest.mark.parametrize(
    ("slug", "field_message"),
    [
        ("ab", "3 to 40 characters"),
        ("Upper", "lowercase"),
        ("-dash", "Start with a letter"),
        ("admin", "reserved"),
        ("alpha", "taken"),
    ],
)
def test_tenant_slug_rules(db: None, slug: str, field_message: str) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        services.tenant_create(name="X", slug=slug, owner_email="o@x.in", owner_password=PASSWORD)
    assert field_message in excinfo.value.detail["slug"][0]


def test_tenant_create_with_existing_owner_and_custom_domain(alpha: TenantFixture) -> None:
    created = services.tenant_create(
        name="Second", slug="second", owner_email=alpha.owner.email, owner_password=None, custom_domain="shop.second.in"
    )
    assert created.owner == alpha.owner
    assert set(Domain.objects.filter(tenant=created.tenant).values_list("domain", flat=True)) == {
        "second.localhost",
        "shop.second.in",
    }
    with pytest.raises(ValidationFailed):
        services.tenant_create(name="Third", slug="third", owner_email="nobody@x.in", owner_password=None)


def test_template_is_refreshed_when_missing(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute('DROP SCHEMA "tenant_template" CASCADE')
    created = services.tenant_create(name="Delta", slug="delta", owner_email="o@delta.in", owner_password=PASSWORD)
    assert schema_exists("tenant_template")
    assert "django_migrations" in _tables(created.tenant.schema_name)


def test_invitation_is_single_use_and_expires(alpha: TenantFixture) -> None:
    issued = services.invitation_create(
        tenant=alpha.tenant, email="Pat@Example.in", role=Role.ANALYST, invited_by=alpha.owner, actor_role=Role.OWNER
    )
    assert issued.invitation.expires_at - issued.invitation.created_at == timedelta(days=7)
    assert issued.token not in issued.invitation.token_hash
    user = User.objects.create_user(email="pat@example.in", password=PASSWORD)
    membership = services.invitation_accept(token=issued.token, user=user)
    assert (membership.tenant, membership.role) == (alpha.tenant, Role.ANALYST)
    with pytest.raises(NotFound):
        services.invitation_accept(token=issued.token, user=user)
    late = services.invitation_create(
        tenant=alpha.tenant, email="late@example.in", role=Role.VIEWER, invited_by=None, actor_role=Role.OWNER
    )
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)), pytest.raises(NotFound) as excinfo:
        services.invitation_find(token=late.token)
    assert excinfo.value.code == "invitation_expired"


def test_invitation_for_someone_else_is_refused(alpha: TenantFixture) -> None:
    issued = services.invitation_create(
        tenant=alpha.tenant, email="a@example.in", role=Role.VIEWER, invited_by=None, actor_role=Role.ADMIN
    )
    stranger = User.objects.create_user(email="b@example.in", password=PASSWORD)
    with pytest.raises(Forbidden):
        services.invitation_accept(token=issued.token, user=stranger)
    assert Invitation.objects.get(pk=issued.invitation.pk).status == Invitation.Status.PENDING


def test_invitation_new_user_is_atomic(alpha: TenantFixture) -> None:
    issued = services.invitation_create(
        tenant=alpha.tenant, email="weak@example.in", role=Role.VIEWER, invited_by=None, actor_role=Role.ADMIN
    )
    with pytest.raises(ValidationFailed):
        services.invitation_accept_new_user(token=issued.token, password="short")
    assert not User.objects.filter(email="weak@example.in").exists()
    user = services.invitation_accept_new_user(token=issued.token, password=PASSWORD, full_name="Weak No More")
    assert Membership.objects.get(user=user).tenant == alpha.tenant


def test_admin_cannot_invite_an_owner_or_existing_member(alpha: TenantFixture) -> None:
    with pytest.raises(Forbidden):
        services.invitation_create(
            tenant=alpha.tenant, email="x@x.in", role=Role.OWNER, invited_by=None, actor_role=Role.ADMIN
        )
    with pytest.raises(ValidationFailed):
        services.invitation_create(
            tenant=alpha.tenant, email=alpha.owner.email, role=Role.VIEWER, invited_by=None, actor_role=Role.OWNER
        )


def test_membership_rules(alpha: TenantFixture) -> None:
    second_owner = Membership.objects.get(user=make_member(alpha.tenant, Role.OWNER))
    first_owner = Membership.objects.get(tenant=alpha.tenant, user=alpha.owner)
    services.membership_change_role(membership=first_owner, role=Role.ADMIN, actor_role=Role.OWNER)
    with pytest.raises(Conflict):
        services.membership_remove(membership=second_owner, actor_role=Role.OWNER)
    with pytest.raises(ValidationFailed):
        services.membership_change_role(membership=second_owner, role="king", actor_role=Role.OWNER)


def test_api_key_resolution(alpha: TenantFixture) -> None:
    issued = services.api_key_create(tenant=alpha.tenant, name="k", scopes=["read"], created_by=None)
    assert services.api_key_resolve(raw_key=issued.raw_key) == issued.api_key
    assert services.api_key_resolve(raw_key=issued.raw_key + "x") is None
    assert services.api_key_resolve(raw_key="not-a-key") is None
    assert services.api_key_resolve(raw_key=f"sai_{issued.api_key.prefix}_wrongsecret") is None
    services.api_key_revoke(api_key=issued.api_key)
    assert services.api_key_resolve(raw_key=issued.raw_key) is None
    assert ApiKey.objects.get(pk=issued.api_key.pk).revoked_at is not None
    with pytest.raises(ValidationFailed):
        services.api_key_create(tenant=alpha.tenant, name="k", scopes=["root"], created_by=None)


def test_platform_ensure_is_idempotent(db: None) -> None:
    first = services.platform_ensure()
    second = services.platform_ensure()
    assert first.pk == second.pk
    assert Domain.objects.filter(domain="localhost").count() == 1
