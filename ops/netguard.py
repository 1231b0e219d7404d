"""Server-side requests to addresses staff type in (uptime targets) reach public hosts only.

A target's host is resolved when the target is saved and again when each check connects, and every
address it resolves to must be public (``ipaddress``'s ``is_global``: no loopback, link-local such
as the cloud metadata address 169.254.169.254, private, shared, reserved or multicast range; IPv4
forms like ``2130706433`` or ``0x7f.1`` are read the way the C resolver reads them, IPv4-mapped
IPv6 as its IPv4 address). The check then connects to the address it vetted, so a name that
resolves differently a moment later (DNS rebinding) cannot slip through. ``OPS_ALLOW_PRIVATE_TARGETS``
lifts the rule for deployments that watch their own internal services (``http://web:8000/``).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import typing

import httpcore
from django.conf import settings

PRIVATE_REFUSAL = (
    "The address is not public (loopback, link-local, private or reserved); "
    "set OPS_ALLOW_PRIVATE_TARGETS to watch internal services."
)


class TargetRefused(Exception):
    """The target's host resolves to an address that checks may not reach."""


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve_checked(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, when all of them are allowed; else TargetRefused.
    socket.gaierror when the name does not resolve."""
    addresses = list(dict.fromkeys(str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)))
    if not settings.OPS_ALLOW_PRIVATE_TARGETS and not all(address_is_public(a) for a in addresses):
        raise TargetRefused(PRIVATE_REFUSAL)
    return addresses


def target_refusal(host: str, port: int) -> str | None:
    """Why a target on ``host`` may not be saved (None: it may). A name that does not resolve
    here is accepted; its checks fail until it does, and are vetted again then."""
    try:
        resolve_checked(host, port)
    except TargetRefused as exc:
        return str(exc)
    except (OSError, UnicodeError):
        return None
    return None


class _VettedBackend(httpcore.SyncBackend):
    """Connects only to an address that passed ``resolve_checked`` at connect time. TLS still
    checks the certificate against the URL's host name (httpcore passes it as the server name)."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve_checked(host, port)
        except OSError as exc:
            raise httpcore.ConnectError("name does not resolve") from exc
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


def public_http_status(url: str, timeout: float) -> int:
    """GET ``url`` (no redirects followed) from a vetted address; its HTTP status.
    TargetRefused, or httpcore's errors when there is no answer."""
    with httpcore.ConnectionPool(network_backend=_VettedBackend(), ssl_context=ssl.create_default_context()) as pool:
        response = pool.request(
            "GET",
            url,
            headers={"User-Agent": "suresh-ai-uptime/1"},
            extensions={"timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}},
        )
        return int(response.status)
