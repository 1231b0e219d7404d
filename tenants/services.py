"""Writes for tenancy, accounts and teams. Each function owns its transaction and side effects."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import get_tenant_base_migrate_command_class, schema_context, schema_exists

from billing.selectors import entitlements_for_tenant
from billing.services import referral_record, trial_start
from suresh_ai.errors import Conflict, Forbidden, NotFound, ValidationFailed
from suresh_ai.tenancy import db
from tenants.emails import public_url
from tenants.models import (
    ROLE_RANK,
    ApiKey,
    Domain,
    Invitation,
    Membership,
    Partner,
    Role,
    Tenant,
    User,
    workspace_address_problems,
)
from tenants.schema_clone import blueprint_for, blueprint_forget, schema_clone
from tenants.selectors import api_key_for_prefix, seats_used

logger = logging.getLogger(__name__)

RESERVED_SLUGS = frozenset(
    {"www", "api", "app", "admin", "public", "static", "media", "mail", "status", "help", "docs", "tenant-template"}
)
API_KEY_PREFIX = "sai_"
HOSTNAME_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
LOGO_DATA_URL_RE = re.compile(r"^data:image/(png|jpeg|webp);base64,[A-Za-z0-9+/=]+$")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- Platform bootstrap ------------------------------------------------------------------------


def platform_ensure(*, domain: str | None = None) -> Tenant:
    """Create the public tenant and its domain if missing, and bring the template schema up to date."""
    domain = domain or settings.PLATFORM_DOMAIN
    with transaction.atomic():
        public, _ = Tenant.objects.get_or_create(
            schema_name=settings.PUBLIC_SCHEMA_NAME,
            defaults={"name": "SURESH AI ORIGIN", "slug": "public"},
        )
        Domain.objects.get_or_create(domain=domain, defaults={"tenant": public, "is_primary": True})
    template_schema_refresh()
    return public


def template_schema_refresh() -> None:
    """Apply any unapplied tenant migrations to the template schema new tenants are cloned from, and
    read its blueprint (tenants.schema_clone): a template that cannot be copied exactly fails here,
    at deploy time, rather than at the next sign-up."""
    template = settings.TENANT_TEMPLATE_SCHEMA
    schema_migrate(schema=template)
    blueprint_forget()
    with transaction.atomic(), connection.cursor() as cursor:
        blueprint_for(cursor, template)


def schema_migrate(*, schema: str) -> None:
    """Create ``schema`` if missing and apply every unapplied tenant migration to it (what
    migrate_schemas does for one schema)."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {connection.ops.quote_name(schema)}")
    db().set_schema(schema)
    try:
        call_command(get_tenant_base_migrate_command_class()(), verbosity=0, interactive=False)
    finally:
        db().set_schema_to_public()


# --- Tenants -----------------------------------------------------------------------------------


def tenant_domain_for(slug: str) -> str:
    return f"{slug}.{settings.TENANT_BASE_DOMAIN}"


def _validate_slug(slug: str) -> None:
    problems = workspace_address_problems(slug)
    if problems:
        raise ValidationFailed.for_field("slug", " ".join(problems))
    if slug in RESERVED_SLUGS:
        raise ValidationFailed.for_field("slug", "This name is reserved.")
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationFailed.for_field("slug", "This name is already taken.")


def user_validate_password(password: str, *, email: str = "") -> None:
    try:
        validate_password(password, user=User(email=email))
    except DjangoValidationError as exc:
        raise ValidationFailed("password: " + " ".join(exc.messages), detail={"password": exc.messages}) from exc


def user_create(*, email: str, password: str, full_name: str = "") -> User:
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationFailed.for_field("email", "An account with this email already exists.")
    user_validate_password(password, email=email)
    return User.objects.create_user(email=email, password=password, full_name=full_name)


@dataclass(frozen=True)
class TenantCreated:
    tenant: Tenant
    owner: User
    domain: str
    seconds: float


def tenant_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str | None = None,
    owner_full_name: str = "",
    partner: Partner | None = None,
    custom_domain: str | None = None,
    referral_code: str | None = None,
) -> TenantCreated:
    """Create a tenant, its schema (cloned from the template), its domain(s) and its owner.

    All in one transaction: PostgreSQL DDL is transactional, so any failure leaves no schema,
    tenant, domain, user or membership behind. An existing user becomes the owner when
    ``owner_password`` is None; otherwise a new account is created.
    """
    started = time.perf_counter()
    name = name.strip()
    if not name:
        raise ValidationFailed.for_field("name", "This field may not be blank.")
    _validate_slug(slug)
    if custom_domain:
        custom_domain = custom_domain.strip().lower()
        if not HOSTNAME_RE.match(custom_domain) or custom_domain.endswith("." + settings.TENANT_BASE_DOMAIN):
            raise ValidationFailed.for_field("custom_domain", "Enter a host name such as shop.example.in.")
    if custom_domain and Domain.objects.filter(domain=custom_domain).exists():
        raise ValidationFailed.for_field("custom_domain", "This domain is already in use.")
    template = settings.TENANT_TEMPLATE_SCHEMA
    if not schema_exists(template):
        template_schema_refresh()
    schema_name = "t_" + slug.replace("-", "_")
    try:
        # Tenants are platform records: created from the public schema whatever the caller's context.
        with schema_context(settings.PUBLIC_SCHEMA_NAME), transaction.atomic():
            if owner_password is None:
                owner = User.objects.filter(email__iexact=owner_email).first()
                if owner is None:
                    raise ValidationFailed.for_field("owner_email", "No account with this email.")
            else:
                try:
                    owner = user_create(email=owner_email, password=owner_password, full_name=owner_full_name)
                except ValidationFailed as exc:
                    # Name the fields as this call knows them (owner_email, owner_password).
                    renamed = {f"owner_{field}": msgs for field, msgs in exc.detail.items()}
                    raise ValidationFailed(
                        exc.message.replace(next(iter(exc.detail)), next(iter(renamed))), detail=renamed
                    ) from exc
            tenant = Tenant.objects.create(
                name=name, slug=slug, schema_name=schema_name, display_name=name, partner=partner
            )
            domain = tenant_domain_for(slug)
            Domain.objects.create(domain=domain, tenant=tenant, is_primary=True)
            if custom_domain:
                Domain.objects.create(domain=custom_domain, tenant=tenant, is_primary=False)
            Membership.objects.create(tenant=tenant, user=owner, role=Role.OWNER)
            trial_start(tenant=tenant)
            referral_record(referred=tenant, code=referral_code)
            schema_clone(template=template, schema=schema_name)
            db().set_schema_to_public()
    except IntegrityError as exc:
        raise Conflict("A tenant with this name or domain already exists.", code="tenant_exists") from exc
    seconds = time.perf_counter() - started
    logger.info("tenant_created", extra={"tenant": schema_name, "seconds": round(seconds, 3)})
    return TenantCreated(tenant=tenant, owner=owner, domain=domain, seconds=seconds)


# --- Sign-up by email ----------------------------------------------------------------------------
# The sign-up form answers the same way whether or not the email has an account: it only checks the
# workspace address and queues an email. The worker looks the address up and writes the link; the
# link's page asks a new person to choose a password and someone with an account for theirs. So the
# page, its timing and the work done while answering never depend on whether the account exists.

SIGNUP_SALT = "tenants.signup"
SIGNUP_LINK_MAX_AGE = 24 * 3600
WELCOME_SALT = "tenants.signup.welcome"
WELCOME_MAX_AGE = 300


@dataclass(frozen=True)
class SignupRequest:
    company: str
    slug: str
    email: str
    full_name: str = ""
    referral: str = ""


def workspace_address_check(*, slug: str) -> None:
    """The address follows the rule, is not reserved and is free (ValidationFailed on "slug" if not)."""
    _validate_slug(slug)


def signup_request_send(*, request: SignupRequest) -> None:
    """Queue the sign-up email (after commit). Nothing here depends on whether the email has an account."""
    from tenants.tasks import signup_send_email

    workspace_address_check(slug=request.slug)
    token = signing.dumps(request.__dict__, salt=SIGNUP_SALT, compress=True)
    transaction.on_commit(lambda: signup_send_email.delay(token=token))


def signup_request_read(*, token: str) -> SignupRequest:
    """The request a sign-up link carries; ValidationFailed when it was altered or is over a day old."""
    try:
        data = signing.loads(token, salt=SIGNUP_SALT, max_age=SIGNUP_LINK_MAX_AGE)
        return SignupRequest(**data)
    except (signing.BadSignature, TypeError) as exc:
        raise ValidationFailed("This sign-up link is not valid or is over a day old.", code="link_invalid") from exc


def signup_email_send(*, token: str) -> bool:
    """Email the link that continues a sign-up: to create the account and workspace, or, for an
    address that has an account, to add the workspace to it."""
    from tenants.emails import branded_email_send

    request = signup_request_read(token=token)
    has_account = User.objects.filter(email__iexact=request.email, is_active=True).exists()
    link = public_url(settings.PLATFORM_DOMAIN, f"/signup/confirm/{token}/")
    branded_email_send(
        tenant=None,
        to=request.email,
        subject=f"Create your workspace {request.company}",
        template="signup",
        context={
            "link": link,
            "company": request.company,
            "address": tenant_domain_for(request.slug),
            "has_account": has_account,
        },
    )
    return True


def signup_complete(*, request: SignupRequest, password: str | None) -> TenantCreated:
    """Create the workspace a confirmed sign-up asked for: with a new account (``password`` chosen on
    the link's page) or, when ``password`` is None, owned by the existing account of that email
    (which the caller has authenticated)."""
    return tenant_create(
        name=request.company,
        slug=request.slug,
        owner_email=request.email,
        owner_password=password,
        owner_full_name=request.full_name,
        referral_code=request.referral or None,
    )


def welcome_token(*, user: User, tenant: Tenant) -> str:
    """A short-lived, single-use ticket that signs the new owner in on the workspace's own domain
    (sessions are per host). Single use: it carries the last sign-in time, which signing in changes."""
    last = user.last_login.isoformat() if user.last_login else ""
    return signing.dumps({"u": user.pk, "s": tenant.schema_name, "l": last}, salt=WELCOME_SALT)


def welcome_token_user(*, token: str, tenant: Tenant) -> User | None:
    """The owner a welcome ticket signs in on ``tenant``, or None (altered, expired, used, elsewhere)."""
    try:
        data = signing.loads(token, salt=WELCOME_SALT, max_age=WELCOME_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("s") != tenant.schema_name:
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or (user.last_login.isoformat() if user.last_login else "") != data.get("l"):
        return None
    if not Membership.objects.filter(tenant=tenant, user=user, role=Role.OWNER).exists():
        return None
    return user


def tenant_update_branding(*, tenant: Tenant, data: dict[str, object], actor_role: str = Role.OWNER) -> Tenant:
    if "require_2fa" in data and data["require_2fa"] != tenant.require_2fa and actor_role != Role.OWNER:
        raise Forbidden("Only an owner can change whether two-factor sign-in is required.", code="owner_only")
    for field in ("display_name", "email_sender_name", "support_email"):
        value = data.get(field)
        # These go into email headers (Subject, From, Reply-To): no line breaks or control characters.
        if isinstance(value, str) and not all(ch.isprintable() for ch in value):
            raise ValidationFailed.for_field(field, "Line breaks and control characters are not allowed.")
    allowed = {"display_name", "logo", "primary_colour", "support_email", "email_sender_name", "require_2fa"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationFailed("Unknown fields.", detail={field: ["Unknown field."] for field in sorted(unknown)})
    logo = data.get("logo")
    if isinstance(logo, str) and logo:
        if len(logo) > settings.MAX_LOGO_BYTES * 4 // 3 + 64:
            raise ValidationFailed.for_field("logo", f"The logo must be at most {settings.MAX_LOGO_BYTES} bytes.")
        if not LOGO_DATA_URL_RE.match(logo):
            raise ValidationFailed.for_field("logo", "Upload a PNG, JPEG or WebP image.")
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        for field, value in data.items():
            setattr(locked, field, value)
        try:
            locked.full_clean(exclude=["schema_name", "slug", "name", "partner"])
        except DjangoValidationError as exc:
            detail = exc.message_dict
            raise ValidationFailed("; ".join(f"{f}: {' '.join(m)}" for f, m in detail.items()), detail=detail) from exc
        locked.save(update_fields=[*data.keys()])
    return locked


# --- Teams ------------------------------------------------------------------------------------


def _check_can_grant(*, actor_role: str, role: str) -> None:
    if role not in Role.values:
        raise ValidationFailed.for_field("role", f'"{role}" is not a valid choice.')
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise Forbidden("Only an owner can grant the owner role.")


@dataclass(frozen=True)
class InvitationIssued:
    invitation: Invitation
    token: str


def invitation_create(
    *, tenant: Tenant, email: str, role: str, invited_by: User | None, actor_role: str
) -> InvitationIssued:
    """Invite someone by email; the email is sent by a task once the transaction commits."""
    email = email.strip().lower()
    _check_can_grant(actor_role=actor_role, role=role)
    if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
        raise ValidationFailed.for_field("email", "This person is already a member.")
    seats = entitlements_for_tenant(tenant).seats
    taken = seats_used(tenant=tenant)
    if taken >= seats:
        raise Conflict(
            f"All {seats} seats of your plan are taken (members and pending invitations). "
            "Remove someone, revoke an invitation or upgrade.",
            code="seat_limit",
            detail={"seats": seats, "taken": taken},
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                created_at=now,
                tenant=tenant,
                email=email,
                role=role,
                token_hash=_sha256(token),
                invited_by=invited_by,
                expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
            )
            from tenants.tasks import invitation_send_email

            # Only the id travels through the broker: the worker issues the link's token itself, so
            # no token ever sits in a queue, a task log line or a result backend.
            transaction.on_commit(lambda: invitation_send_email.delay(invitation_id=invitation.pk))
    except IntegrityError as exc:
        raise Conflict("A pending invitation for this email already exists.", code="invitation_exists") from exc
    logger.info("invitation_created", extra={"tenant": tenant.schema_name, "invitation_id": invitation.pk})
    return InvitationIssued(invitation=invitation, token=token)


def invitation_find(*, token: str) -> Invitation:
    invitation = Invitation.objects.select_related("tenant").filter(token_hash=_sha256(token)).first()
    if invitation is None or invitation.status != Invitation.Status.PENDING:
        raise NotFound("This invitation does not exist or was already used.", code="invitation_invalid")
    if invitation.expires_at <= timezone.now():
        raise NotFound("This invitation has expired. Ask for a new one.", code="invitation_expired")
    return invitation


def invitation_accept(*, token: str, user: User) -> Membership:
    """Turn a pending invitation into a membership. The token works exactly once."""
    with transaction.atomic():
        invitation = invitation_find(token=token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.status != Invitation.Status.PENDING:
            raise NotFound("This invitation does not exist or was already used.", code="invitation_invalid")
        if invitation.email.lower() != user.email.lower():
            raise Forbidden("This invitation was sent to another email address.", code="invitation_wrong_user")
        seats = entitlements_for_tenant(invitation.tenant).seats
        if Membership.objects.filter(tenant=invitation.tenant).count() >= seats:
            raise Conflict(f"All {seats} seats of this workspace's plan are taken.", code="seat_limit")
        membership, _ = Membership.objects.get_or_create(
            tenant=invitation.tenant, user=user, defaults={"role": invitation.role}
        )
        invitation.status = Invitation.Status.ACCEPTED
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["status", "accepted_at", "accepted_by"])
    return membership


def invitation_revoke(*, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status != Invitation.Status.PENDING:
            raise Conflict("Only a pending invitation can be revoked.", code="invitation_not_pending")
        locked.status = Invitation.Status.REVOKED
        locked.save(update_fields=["status"])
    return locked


def _owners_left_after(*, membership: Membership) -> int:
    """Owners other than ``membership``, with every owner row of the tenant locked (in id order, so
    two concurrent demotions serialise instead of each seeing the other as the remaining owner)."""
    owners = list(
        Membership.objects.select_for_update()
        .filter(tenant_id=membership.tenant_id, role=Role.OWNER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return len([pk for pk in owners if pk != membership.pk])


def membership_change_role(*, membership: Membership, role: str, actor_role: str) -> Membership:
    _check_can_grant(actor_role=actor_role, role=role)
    with transaction.atomic():
        owners_left = _owners_left_after(membership=membership)
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.role == Role.OWNER and actor_role != Role.OWNER:
            raise Forbidden("Only an owner can change another owner's role.")
        if locked.role == Role.OWNER and role != Role.OWNER and owners_left == 0:
            raise Conflict("A tenant must keep at least one owner.", code="last_owner")
        locked.role = role
        locked.save(update_fields=["role"])
        if ROLE_RANK[Role(role)] < ROLE_RANK[Role.ADMIN]:
            _api_keys_of_creator_revoke(membership=locked)
    return locked


def _api_keys_of_creator_revoke(*, membership: Membership) -> int:
    """Someone who is no longer an admin keeps no key they made: they saw its secret once, and
    an admin-scope key would let them invite themselves back."""
    now = timezone.now()
    keys = ApiKey.objects.select_for_update().filter(
        tenant_id=membership.tenant_id, created_by_id=membership.user_id, revoked_at__isnull=True
    )
    revoked = 0
    for key in keys:  # saved one by one (a person makes a handful): the audit log sees each change
        key.revoked_at = now
        key.save(update_fields=["revoked_at"])
        revoked += 1
    if revoked:
        logger.info("api_keys_revoked_with_role", extra={"tenant_id": membership.tenant_id, "count": revoked})
    return revoked


def membership_remove(*, membership: Membership, actor_role: str) -> None:
    with transaction.atomic():
        owners_left = _owners_left_after(membership=membership)
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.role == Role.OWNER and actor_role != Role.OWNER:
            raise Forbidden("Only an owner can remove an owner.")
        if locked.role == Role.OWNER and owners_left == 0:
            raise Conflict("A tenant must keep at least one owner.", code="last_owner")
        _api_keys_of_creator_revoke(membership=locked)
        locked.delete()


def role_at_least(role: str | None, minimum: str) -> bool:
    return role is not None and ROLE_RANK[Role(role)] >= ROLE_RANK[Role(minimum)]


# --- API keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiKeyIssued:
    api_key: ApiKey
    raw_key: str


def api_key_create(
    *, tenant: Tenant, name: str, scopes: list[str], created_by: User | None, expires_at: datetime | None = None
) -> ApiKeyIssued:
    """Create a key; the raw key is returned once and only its hash is kept."""
    if not name.strip():
        raise ValidationFailed.for_field("name", "This field may not be blank.")
    bad = [s for s in scopes if s not in ApiKey.Scope.values]
    if bad or not scopes:
        raise ValidationFailed.for_field("scopes", "Choose one or more of read, write, admin.")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed.for_field("expires_at", "The expiry must be in the future.")
    for attempt in range(5):  # the 32-bit visible prefix is unique; retry the rare collision
        prefix = secrets.token_hex(4)
        raw_key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(30)}"
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    tenant=tenant,
                    name=name.strip(),
                    prefix=prefix,
                    key_hash=_sha256(raw_key),
                    scopes=sorted(set(scopes)),
                    created_by=created_by,
                    expires_at=expires_at,
                )
            break
        except IntegrityError:
            if attempt == 4:
                raise
    logger.info("api_key_created", extra={"tenant": tenant.schema_name, "api_key_prefix": prefix})
    return ApiKeyIssued(api_key=api_key, raw_key=raw_key)


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke once (revoking again changes nothing). Saved, not updated, so the tenancy cache is
    dropped (tenants.signals) and the audit log records the change."""
    if api_key.revoked_at is None:
        with transaction.atomic():
            locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
            if locked.revoked_at is None:
                locked.revoked_at = timezone.now()
                locked.save(update_fields=["revoked_at"])
        api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def api_key_touch(*, api_key: ApiKey, every_seconds: int = 60) -> None:
    """Record use at most once a minute per key, so reads do not each cost a write."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= timedelta(seconds=every_seconds):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def api_key_resolve(*, raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key`` (any tenant: the caller checks it belongs to the request's)."""
    if not raw_key.startswith(API_KEY_PREFIX):
        return None
    prefix = raw_key[len(API_KEY_PREFIX) :].split("_", 1)[0]
    api_key = api_key_for_prefix(prefix=prefix)
    if api_key is None or not secrets.compare_digest(api_key.key_hash, _sha256(raw_key)):
        return None
    if not api_key.is_active:
        return None
    return api_key


def tenant_url(*, tenant: Tenant, path: str) -> str:
    """An absolute link to ``path`` on the tenant's own domain (for emails)."""
    return public_url(tenant_domain_for(tenant.slug), path)


def invitation_accept_url(*, tenant: Tenant, token: str) -> str:
    return tenant_url(tenant=tenant, path=f"/invitations/{token}/")


def invitation_token_issue(*, invitation: Invitation) -> str:
    """Give the invitation a fresh single-use token (earlier links stop working); return it once."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _sha256(token)
    invitation.save(update_fields=["token_hash"])
    return token


def invitation_email_send(*, invitation_id: int) -> bool:
    """Email the invitation with a freshly issued link, branded by the tenant whose schema this
    runs in. Idempotent: once sent, sending again does nothing."""
    from tenants.emails import branded_email_send

    if db().schema_name == settings.PUBLIC_SCHEMA_NAME:
        # Sent from outside any tenant: no tenant owns the invitation here and there is no brand to send.
        logger.warning("invitation_email_skipped", extra={"invitation_id": invitation_id, "reason": "public schema"})
        return False
    tenant = db().tenant
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("invited_by")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None or invitation.tenant_id != tenant.pk:
            logger.warning("invitation_email_skipped", extra={"invitation_id": invitation_id, "reason": "not found"})
            return False
        if invitation.email_sent_at is not None or invitation.status != Invitation.Status.PENDING:
            return False
        token = invitation_token_issue(invitation=invitation)
        branded_email_send(
            tenant=tenant,
            to=invitation.email,
            subject=f"You are invited to {tenant.brand_name}",
            template="invitation",
            context={
                "invitation": invitation,
                "accept_url": invitation_accept_url(tenant=tenant, token=token),
                "inviter": invitation.invited_by.email if invitation.invited_by else "",
            },
        )
        invitation.email_sent_at = timezone.now()
        invitation.save(update_fields=["email_sent_at"])
    return True


def invitation_accept_new_user(*, token: str, password: str, full_name: str = "") -> User:
    """Create the invited person's account and membership together, or neither."""
    with transaction.atomic():
        invitation = invitation_find(token=token)
        user = user_create(email=invitation.email, password=password, full_name=full_name)
        invitation_accept(token=token, user=user)
    return user


# --- Two-factor ---------------------------------------------------------------------------------


def two_factor_backup_codes_reset(*, user: User) -> list[str]:
    """Replace the user's backup codes with a fresh set; the codes are shown once."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": "Backup codes"})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(settings.OTP_BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def two_factor_confirm(*, device: TOTPDevice) -> list[str]:
    """Mark a verified TOTP device confirmed and issue backup codes."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return two_factor_backup_codes_reset(user=device.user)


def two_factor_disable(*, user: User) -> None:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


# --- Account emails (sent by workers) -----------------------------------------------------------


def password_reset_email_send(*, user_id: int, host: str, scheme: str) -> bool:
    """Send a reset link for ``host``, made here (never queued), branded by the schema's tenant.

    ``host`` must be a domain of the tenant whose schema this runs in (or the platform's own), so a
    queued message cannot point a link elsewhere.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.template.loader import render_to_string
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from tenants.emails import brand_for, branded_email_send

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return False
    hostname = host.rsplit(":", 1)[0].lower()
    public = db().schema_name == settings.PUBLIC_SCHEMA_NAME
    tenant = None if public else db().tenant
    domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    if domain is None or (domain.tenant.schema_name != db().schema_name):
        logger.warning("password_reset_skipped", extra={"reason": "host not of this schema"})
        return False
    if tenant is not None and not Membership.objects.filter(tenant=tenant, user=user).exists():
        return False
    context = {
        "email": user.email,
        "domain": host,
        "protocol": "https" if scheme == "https" else "http",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    subject = render_to_string("emails/password_reset_subject.txt", {"brand": brand_for(tenant)}).strip()
    branded_email_send(tenant=tenant, to=user.email, subject=subject, template="password_reset", context=context)
    return True


def workspaces_email_send(*, user_id: int) -> bool:
    from tenants.emails import branded_email_send
    from tenants.selectors import tenants_of_user

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    workspaces = [
        {"name": t.brand_name, "url": public_url(tenant_domain_for(t.slug), "/login/")}
        for t in tenants_of_user(user_id=user.pk)
    ]
    branded_email_send(
        tenant=None,
        to=user.email,
        subject="Your SURESH AI ORIGIN workspaces",
        template="workspaces",
        context={"workspaces": workspaces},
    )
    return True


def tenant_purge(*, tenant: Tenant) -> None:
    """Delete a tenant, its schema and its trial records (platform staff, tests and benchmarks).

    Never used for non-payment. Refused once the tenant has payments or invoices: those are
    accounting records that must be kept (a PROTECT foreign key enforces it).
    """
    from billing.models import Subscription

    with transaction.atomic():
        Subscription.objects.filter(tenant=tenant, payments__isnull=True).delete()
        tenant.delete(force_drop=True)  # type: ignore[call-arg]  # django-tenants' TenantMixin.delete


# --- The demo workspace (make run) -------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    url_host: str
    email: str
    password: str | None  # None: the workspace existed, so its password is not known here


def demo_ensure(*, slug: str = "demo", email: str = "owner@demo.example") -> DemoLogin:
    """The demo workspace, created once with a random password (returned only then, stored nowhere)."""
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is not None:
        owner = Membership.objects.filter(tenant=tenant, role=Role.OWNER).select_related("user").first()
        return DemoLogin(url_host=tenant_domain_for(slug), email=owner.user.email if owner else email, password=None)
    password = secrets.token_urlsafe(12)
    created = tenant_create(name="Demo Store (demo data)", slug=slug, owner_email=email, owner_password=password)
    return DemoLogin(url_host=created.domain, email=created.owner.email, password=password)


def demo_password_reset(*, slug: str = "demo") -> DemoLogin:
    """Give the demo workspace's owner a new random password (and lift any sign-in lockout)."""
    from axes.utils import reset as axes_reset

    owner = Membership.objects.filter(tenant__slug=slug, role=Role.OWNER).select_related("user").order_by("pk").first()
    if owner is None:
        raise NotFound(f"No workspace {slug!r} with an owner (make run creates the demo).")
    password = secrets.token_urlsafe(12)
    owner.user.set_password(password)
    owner.user.save(update_fields=["password"])
    axes_reset(username=owner.user.email)
    logger.info("demo_password_reset", extra={"tenant": slug})
    return DemoLogin(url_host=tenant_domain_for(slug), email=owner.user.email, password=password)
