"""Branded email: HTML and text bodies carrying the tenant's (or partner's, or platform's) brand."""

from __future__ import annotations

import hashlib
import logging
from email.utils import formataddr, parseaddr
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from tenants.models import Tenant

logger = logging.getLogger(__name__)


def logo_data(tenant: Tenant) -> str:
    """The logo a tenant shows: its own, else its partner's (a data: URL, or empty)."""
    return tenant.logo or (tenant.partner.logo if tenant.partner else "")


@lru_cache(maxsize=256)
def _logo_version(data: str) -> str:
    # Cached: cached tenants hand back the same string object, whose hash Python keeps.
    return hashlib.sha256(data.encode()).hexdigest()[:12]


def public_url(host: str, path: str = "/") -> str:
    """An absolute link to ``path`` on ``host`` as users reach it (PUBLIC_URL_SCHEME and _PORT)."""
    port = f":{settings.PUBLIC_URL_PORT}" if settings.PUBLIC_URL_PORT else ""
    return f"{settings.PUBLIC_URL_SCHEME}://{host}{port}{path}"


def logo_url(tenant: Tenant) -> str:
    version = _logo_version(logo_data(tenant))
    return public_url(f"{tenant.slug}.{settings.TENANT_BASE_DOMAIN}", f"/brand/logo?v={version}")


def brand_for(tenant: Tenant | None) -> dict[str, str]:
    """The brand a message or page shows: the tenant's, else its partner's, else the platform's."""
    if tenant is None or tenant.schema_name == settings.PUBLIC_SCHEMA_NAME:
        return {"name": "SURESH AI ORIGIN", "colour": "#4f46e5", "logo": "", "support_email": "", "sender": ""}
    partner = tenant.partner
    return {
        "name": tenant.brand_name,
        "colour": tenant.primary_colour or (partner.primary_colour if partner else "#4f46e5"),
        # A URL, not the stored data: URL, so mail clients (which block data: images) show it and
        # pages stay small. The version query changes with the image, so caches never go stale.
        "logo": logo_url(tenant) if (tenant.logo or (partner and partner.logo)) else "",
        "support_email": tenant.support_email or (partner.support_email if partner else ""),
        "sender": tenant.email_sender_name or (partner.email_sender_name if partner else "") or tenant.brand_name,
    }


def _from_address(sender_name: str) -> str:
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    # Header injection guard: printable characters only; formataddr quotes and escapes the rest.
    safe_name = "".join(ch for ch in sender_name if ch.isprintable()).strip()
    return formataddr((safe_name, address)) if safe_name else settings.DEFAULT_FROM_EMAIL


def branded_email_send(
    *,
    tenant: Tenant | None,
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    """Render ``emails/<template>.txt`` and ``.html`` with the brand and send them (with any
    ``(filename, content, mimetype)`` attachments)."""
    brand = brand_for(tenant)
    full_context = {**context, "brand": brand}
    text_body = render_to_string(f"emails/{template}.txt", full_context)
    html_body = render_to_string(f"emails/{template}.html", full_context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text_body,
        from_email=_from_address(brand["sender"]),
        to=[to],
        reply_to=[brand["support_email"]] if brand["support_email"] else None,
    )
    message.attach_alternative(html_body, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(filename, content, mimetype)
    message.send()
    logger.info("email_sent", extra={"template": template, "tenant": getattr(tenant, "schema_name", None)})
