"""Tenancy API: current user, tenant and branding, members, invitations, API keys. Thin views."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from billing.selectors import billing_export
from suresh_ai.api.views import BaseAPIView, BaseGenericAPIView, BaseListAPIView
from suresh_ai.tenancy import is_verified, request_tenant
from tenants import selectors, services
from tenants.api.v1 import serializers as s
from tenants.models import ApiKey, Invitation, Membership, Role
from tenants.permissions import Principal, principal_for


def _principal(request: Request) -> Principal:
    principal = principal_for(request)
    if principal is None:  # IsTenantMember has already refused such requests
        raise exceptions.NotAuthenticated()
    return principal


class TeamAdminOnly:
    """Invitations and keys are for owners and admins (keys: the admin scope), to read and to write."""

    read_role = write_role = Role.ADMIN
    read_scope = write_scope = "admin"


class MeView(BaseAPIView):
    @extend_schema(responses=s.MeSerializer, summary="Who is calling, in which tenant, with which role")
    def get(self, request: Request) -> Response:
        principal = _principal(request)
        data: dict[str, object] = {
            "user": principal.user,
            "api_key": principal.api_key,
            "role": principal.role,
            "tenant": request_tenant(request),
            "otp_verified": bool(principal.user and is_verified(request.user)),
        }
        return Response(s.MeSerializer(data).data)


class TenantView(BaseAPIView):
    write_role = Role.ADMIN
    write_scope = "admin"

    @extend_schema(responses=s.TenantSerializer, summary="This tenant and its branding")
    def get(self, request: Request) -> Response:
        # Read the row afresh: request.tenant may come from the per-process routing cache, and a
        # client reading right after its own PATCH must see the change.
        tenant = selectors.tenant_get(pk=request_tenant(request).pk)
        tenant.domain_url = request_tenant(request).domain_url
        return Response(s.TenantSerializer(tenant).data)

    @extend_schema(request=s.TenantUpdateSerializer, responses=s.TenantSerializer, summary="Update branding")
    def patch(self, request: Request) -> Response:
        serializer = s.TenantUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        tenant = services.tenant_update_branding(
            tenant=request_tenant(request),
            data=dict(serializer.validated_data),
            actor_role=_principal(request).acting_role,
        )
        tenant.domain_url = request_tenant(request).domain_url
        return Response(s.TenantSerializer(tenant).data)


class MemberListView(BaseListAPIView):
    serializer_class = s.MembershipSerializer  # documents each row; rows are written by membership_row_data

    def get_queryset(self) -> QuerySet[Membership, dict[str, Any]]:
        return selectors.member_rows_of(tenant=request_tenant(self.request))

    @extend_schema(summary="Members of this tenant")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = self.get_queryset()
        page = self.paginate_queryset(rows)
        if page is None:  # pagination switched off: the whole team
            return Response([s.membership_row_data(row) for row in rows])
        return self.get_paginated_response([s.membership_row_data(row) for row in page])


class MemberDetailView(BaseGenericAPIView):
    serializer_class = s.MembershipSerializer
    write_role = Role.ADMIN
    write_scope = "admin"

    def get_queryset(self) -> QuerySet[Membership]:
        return selectors.memberships_of(tenant=request_tenant(self.request))

    @extend_schema(summary="One member")
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=s.MembershipUpdateSerializer, summary="Change a member's role")
    def patch(self, request: Request, pk: int) -> Response:
        membership = self.get_object()
        body = s.MembershipUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = _principal(request)
        updated = services.membership_change_role(
            membership=membership, role=body.validated_data["role"], actor_role=actor.acting_role
        )
        return Response(self.get_serializer(updated).data)

    @extend_schema(responses={204: None}, summary="Remove a member")
    def delete(self, request: Request, pk: int) -> Response:
        actor = _principal(request)
        services.membership_remove(membership=self.get_object(), actor_role=actor.acting_role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListView(TeamAdminOnly, BaseListAPIView):
    serializer_class = s.InvitationSerializer

    def get_queryset(self) -> QuerySet[Invitation]:
        return selectors.invitations_of(tenant=request_tenant(self.request))

    @extend_schema(summary="Invitations of this tenant")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(request=s.InvitationCreateSerializer, responses={201: s.InvitationSerializer}, summary="Invite")
    def post(self, request: Request) -> Response:
        body = s.InvitationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = _principal(request)
        issued = services.invitation_create(
            tenant=request_tenant(request),
            email=body.validated_data["email"],
            role=body.validated_data["role"],
            invited_by=actor.user,
            actor_role=actor.acting_role,
        )
        return Response(self.get_serializer(issued.invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailView(TeamAdminOnly, BaseGenericAPIView):
    serializer_class = s.InvitationSerializer

    def get_queryset(self) -> QuerySet[Invitation]:
        return selectors.invitations_of(tenant=request_tenant(self.request))

    @extend_schema(summary="One invitation")
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses=s.InvitationSerializer, summary="Revoke a pending invitation")
    def delete(self, request: Request, pk: int) -> Response:
        invitation = services.invitation_revoke(invitation=self.get_object())
        return Response(self.get_serializer(invitation).data)


class ApiKeyListView(TeamAdminOnly, BaseListAPIView):
    serializer_class = s.ApiKeySerializer

    def get_queryset(self) -> QuerySet[ApiKey]:
        return selectors.api_keys_of(tenant=request_tenant(self.request))

    @extend_schema(summary="API keys of this tenant (never the secret)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=s.ApiKeyCreateSerializer,
        responses={201: s.ApiKeyCreatedSerializer},
        summary="Create an API key (the full key is returned once)",
    )
    def post(self, request: Request) -> Response:
        body = s.ApiKeyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actor = _principal(request)
        issued = services.api_key_create(
            tenant=request_tenant(request),
            name=body.validated_data["name"],
            scopes=body.validated_data["scopes"],
            expires_at=body.validated_data.get("expires_at"),
            created_by=actor.user,
        )
        data: dict[str, Any] = dict(s.ApiKeySerializer(issued.api_key).data)
        data["key"] = issued.raw_key
        return Response(data, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(TeamAdminOnly, BaseGenericAPIView):
    serializer_class = s.ApiKeySerializer

    def get_queryset(self) -> QuerySet[ApiKey]:
        return selectors.api_keys_of(tenant=request_tenant(self.request))

    @extend_schema(summary="One API key")
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses=s.ApiKeySerializer, summary="Revoke an API key")
    def delete(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(services.api_key_revoke(api_key=self.get_object())).data)


class ExportView(TeamAdminOnly, BaseAPIView):
    """Everything the workspace holds, in one JSON document. Always open, also in restricted mode."""

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        summary="Export all of this workspace's data (JSON download)",
        tags=["export"],
    )
    def get(self, request: Request) -> Response:
        tenant = request_tenant(request)
        data = {
            "exported_at": timezone.now(),
            "tenant": s.TenantSerializer(tenant).data,
            "members": s.MembershipSerializer(selectors.memberships_of(tenant=tenant), many=True).data,
            "invitations": s.InvitationSerializer(selectors.invitations_of(tenant=tenant), many=True).data,
            "api_keys": s.ApiKeySerializer(selectors.api_keys_of(tenant=tenant), many=True).data,
            "billing": billing_export(tenant=tenant),
        }
        response = Response(data)
        response["Content-Disposition"] = f'attachment; filename="{tenant.slug}-export.json"'
        return response
