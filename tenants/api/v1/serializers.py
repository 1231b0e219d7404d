"""Request and response shapes of the tenancy API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from suresh_ai.api.serializers import CachedFieldsMixin, utc_datetime_text
from suresh_ai.api.views import StrictSerializerMixin
from tenants.emails import brand_for
from tenants.models import (
    WORKSPACE_ADDRESS_HELP,
    ApiKey,
    Invitation,
    Membership,
    Partner,
    Role,
    Tenant,
    User,
    validate_workspace_address,
)


class UserSerializer(CachedFieldsMixin, serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ("id", "email", "full_name", "date_joined")
        read_only_fields = fields


class TenantSerializer(CachedFieldsMixin, serializers.ModelSerializer[Tenant]):
    domain = serializers.SerializerMethodField()
    logo_url = serializers.SerializerMethodField()

    class Meta:
        model = Tenant
        fields = (
            "id",
            "name",
            "slug",
            "status",
            "plan",
            "domain",
            "display_name",
            "logo_url",
            "primary_colour",
            "support_email",
            "email_sender_name",
            "require_2fa",
            "created_at",
        )
        read_only_fields = fields

    def get_domain(self, tenant: Tenant) -> str:
        return getattr(tenant, "domain_url", "") or ""

    def get_logo_url(self, tenant: Tenant) -> str:
        """Where the logo is served (empty without one); the stored image is never inlined here."""
        return brand_for(tenant)["logo"]


class TenantUpdateSerializer(StrictSerializerMixin, serializers.Serializer[Tenant]):
    display_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    logo = serializers.CharField(required=False, allow_blank=True, help_text="data:image/png;base64,… or empty")
    primary_colour = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)
    support_email = serializers.EmailField(required=False, allow_blank=True)
    email_sender_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    require_2fa = serializers.BooleanField(required=False)


class ApiKeyPrincipalSerializer(CachedFieldsMixin, serializers.Serializer[ApiKey]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())


class MeSerializer(CachedFieldsMixin, serializers.Serializer[dict[str, object]]):
    user = UserSerializer(allow_null=True)
    api_key = ApiKeyPrincipalSerializer(allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True)
    tenant = TenantSerializer()
    otp_verified = serializers.BooleanField()


class MembershipSerializer(CachedFieldsMixin, serializers.ModelSerializer[Membership]):
    user = UserSerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ("id", "user", "role", "created_at")
        read_only_fields = fields


def membership_row_data(row: dict[str, Any]) -> dict[str, Any]:
    """What MembershipSerializer writes for a member, from a selectors.member_rows_of row: the same
    keys in the same order and the same text (a test compares the two), without DRF's per-field
    machinery, which was most of the member list's CPU."""
    return {
        "id": row["id"],
        "user": {
            "id": row["user__id"],
            "email": row["user__email"],
            "full_name": row["user__full_name"],
            "date_joined": utc_datetime_text(row["user__date_joined"]),
        },
        "role": row["role"],
        "created_at": utc_datetime_text(row["created_at"]),
    }


class MembershipUpdateSerializer(StrictSerializerMixin, serializers.Serializer[Membership]):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationSerializer(CachedFieldsMixin, serializers.ModelSerializer[Invitation]):
    invited_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email",
        read_only=True,
        allow_null=True,
        help_text="Empty when an API key sent it or the inviter's account is gone.",
    )

    class Meta:
        model = Invitation
        fields = ("id", "email", "role", "status", "invited_by", "created_at", "expires_at", "email_sent_at")
        read_only_fields = fields


class InvitationCreateSerializer(StrictSerializerMixin, serializers.Serializer[Invitation]):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)


class ApiKeySerializer(CachedFieldsMixin, serializers.ModelSerializer[ApiKey]):
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="email",
        read_only=True,
        allow_null=True,
        help_text="Empty when made with an API key or by the platform, or the account is gone.",
    )
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields: tuple[str, ...] = (
            "id",
            "name",
            "prefix",
            "scopes",
            "is_active",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        )
        read_only_fields: tuple[str, ...] = fields


class ApiKeyCreateSerializer(StrictSerializerMixin, serializers.Serializer[ApiKey]):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=ApiKey.Scope.choices), min_length=1, max_length=3
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The full key. Shown once: store it now.")

    class Meta(ApiKeySerializer.Meta):
        fields = (*ApiKeySerializer.Meta.fields, "key")
        read_only_fields = fields


class PlatformTenantSerializer(CachedFieldsMixin, serializers.ModelSerializer[Tenant]):
    domains: serializers.ManyRelatedField = serializers.SlugRelatedField(  # type: ignore[assignment]
        many=True, slug_field="domain", read_only=True
    )
    partner: serializers.PrimaryKeyRelatedField[Partner] = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Tenant
        fields = ("id", "name", "slug", "schema_name", "status", "plan", "partner", "domains", "created_at")
        read_only_fields = fields


class PlatformTenantCreateSerializer(StrictSerializerMixin, serializers.Serializer[Tenant]):
    name = serializers.CharField(max_length=100)
    slug = serializers.CharField(
        max_length=40,
        validators=[validate_workspace_address],
        help_text=f"Workspace address (subdomain and schema): {WORKSPACE_ADDRESS_HELP}",
    )
    owner_email = serializers.EmailField()
    owner_password = serializers.CharField(
        required=False,
        write_only=True,
        help_text="For a new owner account; omit to make an existing account the owner.",
    )
    owner_full_name = serializers.CharField(max_length=150, required=False, default="")
    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all(), required=False, allow_null=True)
    custom_domain = serializers.CharField(max_length=253, required=False, allow_null=True)
