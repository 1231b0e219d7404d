"""Platform records in the public schema: partners, tenants and their domains, users, teams, API keys."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin

hex_colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Enter a colour as #RRGGBB.")

# A workspace address is its subdomain and schema name. One rule, checked by the model, the sign-up
# and admin forms, the platform API and tenant_create: 3-40 lowercase letters, digits and hyphens,
# starting with a letter and ending with a letter or digit (no underscores: not valid in a host name).
WORKSPACE_ADDRESS_HELP = "3-40 lowercase letters (a-z), digits and hyphens, starting with a letter, e.g. acme-store."
_ADDRESS_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def workspace_address_problems(value: str) -> list[str]:
    """What is wrong with ``value`` as a workspace address, in plain words (empty: nothing)."""
    if not value:
        return ["Enter a workspace address, e.g. acme-store."]
    problems = []
    wrong = sorted({ch for ch in value if ch not in _ADDRESS_CHARACTERS})
    if wrong:
        shown = ", ".join("a space" if ch == " " else f"'{ch}'" for ch in wrong)
        advice = "; use lowercase letters" if any(ch.isupper() for ch in wrong) else ""
        problems.append(f"Use only lowercase letters (a-z), digits and hyphens: {shown} can't be used{advice}.")
    if not 3 <= len(value) <= 40:
        problems.append(f"Use 3 to 40 characters (this has {len(value)}).")
    if not value[0].isalpha():
        problems.append("Start with a letter.")
    if value.endswith("-"):
        problems.append("End with a letter or digit, not a hyphen.")
    return problems


def validate_workspace_address(value: str) -> None:
    problems = workspace_address_problems(value)
    if problems:
        raise ValidationError(" ".join(problems), code="invalid")


def workspace_address_suggestion(name: str) -> str:
    """An address from a business name ("Kappa Crafts & Co." -> "kappa-crafts-co"); empty when the name
    has too few letters or digits to make one. The same rule as static/js/signup.js."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    words = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    words = re.sub(r"^[^a-z]+", "", words)[:40].rstrip("-")
    return words if len(words) >= 3 else ""


class WorkspaceAddressField(models.SlugField):
    """A SlugField held to the workspace-address rule instead of Django's slug rule (which allows
    underscores and says "Enter a valid 'slug'")."""

    default_validators = [validate_workspace_address]


class Branding(models.Model):
    """Fields shared by everything that carries a brand (tenants and white-label partners)."""

    display_name = models.CharField(max_length=100, blank=True)
    # Stored inline as a data: URL so a logo can never be served from another tenant's file path.
    logo = models.TextField(blank=True, help_text="Logo as a data: URL (PNG, JPEG or WebP), at most MAX_LOGO_BYTES.")
    primary_colour = models.CharField(max_length=7, default="#4f46e5", validators=[hex_colour_validator])
    support_email = models.EmailField(blank=True)
    email_sender_name = models.CharField(max_length=100, blank=True)

    class Meta:
        abstract = True


class Partner(Branding):
    """A white-label reseller: its own domain and brand, owning many client tenants."""

    name = models.CharField(max_length=100, unique=True)
    domain = models.CharField(max_length=253, unique=True, blank=True, null=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Tenant(TenantMixin, Branding):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=100)
    slug = WorkspaceAddressField(max_length=40, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # What billing allows now, kept by billing.services from the tenant's Subscription in the same
    # transaction as any change to it, so every request reads it from the (cached) tenant row.
    plan = models.CharField(max_length=32, default="starter", help_text="Plan code (billing.Plan).")
    plan_version = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: the current version.")
    restricted_after = models.DateTimeField(
        null=True, blank=True, help_text="From this moment the workspace is read-only until it pays."
    )
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="tenants")
    require_2fa = models.BooleanField(default=False, help_text="Every member must use two-factor sign-in.")
    rate_limit_bypass = models.BooleanField(default=False, help_text="Premium: API requests are not rate limited.")
    created_at = models.DateTimeField(default=timezone.now)

    # Schemas are created by tenants.services.tenant_create inside its transaction, never on save().
    auto_create_schema = False
    auto_drop_schema = False

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    def is_restricted(self, now: datetime | None = None) -> bool:
        """Restricted mode (billing): read, export and pay, but not create."""
        return self.restricted_after is not None and (now or timezone.now()) >= self.restricted_after

    @property
    def brand_name(self) -> str:
        return self.display_name or self.name


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain


def normalise_email(email: str) -> str:
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are stored lower-cased; an exact match on the same normalisation the lockout counts
        # under, so look-alike spellings (e.g. a dotless i, U+0131, which the database folds to "I") cannot
        # reach the account under a fresh lockout counter.
        return self.get(email=normalise_email(username or ""))


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Global to the platform; what they may do in a tenant comes from their Membership."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform staff: may use the public admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    ANALYST = "analyst", "Analyst"
    VIEWER = "viewer", "Viewer"


ROLE_RANK = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Membership(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique")]
        indexes: ClassVar = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant.schema_name} as {self.role}"


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    # Only the SHA-256 of the single-use token is stored; the token itself travels in the email.
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                "tenant",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="invitation_one_pending_per_email",
            )
        ]
        indexes: ClassVar = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.tenant.schema_name} ({self.status})"


class ApiKey(models.Model):
    class Scope(models.TextChoices):
        READ = "read", "Read"
        WRITE = "write", "Write"
        ADMIN = "admin", "Admin"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Visible part of the key, for recognising it.")
    # SHA-256 of the whole key: keys carry 240 bits of randomness, so a slow hash adds nothing.
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["tenant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
