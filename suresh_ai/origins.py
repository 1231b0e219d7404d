"""Web origins as browsers send them in the Origin header (scheme://host[:port])."""

from __future__ import annotations

from urllib.parse import urlsplit

from suresh_ai.errors import ValidationFailed


def normalise_origin(value: str, field: str = "allowed_origins") -> str:
    """``https://Shop.Example.in/`` -> ``https://shop.example.in``; anything but a bare origin is refused."""
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        raise ValidationFailed.for_field(field, f"{value!r} is not an origin like https://shop.example.in.")
    if port == -1 or parts.username or parts.password:
        raise ValidationFailed.for_field(field, f"{value!r} is not an origin like https://shop.example.in.")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname.lower()}" + (f":{port}" if port and port != default_port else "")
