from __future__ import annotations

from django import template

from billing.services import rupees as _rupees

register = template.Library()


@register.filter
def rupees(paise: int) -> str:
    """117882 -> '₹1,178.82'."""
    return _rupees(int(paise))


@register.filter
def thousands(value: int) -> str:
    """10000 -> '10,000'."""
    return f"{int(value):,}"
