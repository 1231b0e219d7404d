"""API authentication: tenant API keys (Bearer) and browser sessions of the tenant's members."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from tenants.models import ApiKey
from tenants.services import api_key_resolve, api_key_touch


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer sai_<prefix>_<secret>``; a key only works on its own tenant's domain."""

    def authenticate(self, request: Request) -> tuple[None, ApiKey] | None:
        header = get_authorization_header(request)
        if not header:
            return None
        try:
            parts = header.decode("ascii").split()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The Authorization header is not ASCII.") from exc
        if not parts or parts[0].lower() != "bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Use the form: Authorization: Bearer <api key>.")
        api_key = api_key_resolve(raw_key=parts[1])
        tenant = getattr(request, "tenant", None)
        if api_key is None or tenant is None or api_key.tenant_id != tenant.pk:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.", code="invalid_api_key")
        api_key_touch(api_key=api_key)
        request._request.api_key_prefix = api_key.prefix  # type: ignore[attr-defined]
        return None, api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Documents API-key auth in the OpenAPI schema as HTTP bearer."""

    target_class = "tenants.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A tenant API key, `sai_<prefix>_<secret>`, valid only on its own tenant's domain.",
        }
