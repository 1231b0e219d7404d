"""The tenant's billing profile: who invoices are made out to (GST details)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.in_ import gstin as gstin_number

from billing.gst_states import GST_STATES
from billing.models import BillingProfile
from suresh_ai.errors import Conflict, ValidationFailed
from tenants.models import Tenant

PROFILE_FIELDS = ("legal_name", "gstin", "state_code", "address", "billing_email")
LIMITS = {"legal_name": 200, "gstin": 15, "state_code": 2, "address": 500, "billing_email": 254}


def billing_profile_update(*, tenant: Tenant, data: dict[str, Any]) -> BillingProfile:
    """Validate and save the GST details; every problem is reported per field and nothing is saved."""
    errors: dict[str, list[str]] = {}
    unknown = set(data) - set(PROFILE_FIELDS)
    for field in sorted(unknown):
        errors[field] = ["Unknown field."]
    with transaction.atomic():
        profile = BillingProfile.objects.select_for_update().filter(tenant=tenant).first() or BillingProfile(
            tenant=tenant
        )
        values = {field: getattr(profile, field) for field in PROFILE_FIELDS}
        for field in PROFILE_FIELDS:
            if field not in data:
                continue
            value = data[field]
            if not isinstance(value, str):
                errors[field] = ["Must be text."]
                continue
            value = value.strip()
            if len(value) > LIMITS[field]:
                errors[field] = [f"At most {LIMITS[field]} characters."]
                continue
            if field != "address" and not all(ch.isprintable() for ch in value):
                errors[field] = ["Control characters are not allowed."]
                continue
            values[field] = value
        if values["gstin"]:
            try:
                values["gstin"] = gstin_number.validate(values["gstin"])
            except StdnumValidationError:
                errors.setdefault("gstin", ["Not a valid GSTIN (15 characters with a valid check digit)."])
        if values["state_code"] and values["state_code"] not in GST_STATES:
            errors.setdefault("state_code", ["Not a GST state code (for example 29 for Karnataka)."])
        if values["gstin"] and "gstin" not in errors:
            if not values["state_code"]:
                values["state_code"] = values["gstin"][:2]
            elif values["gstin"][:2] != values["state_code"]:
                errors.setdefault("state_code", ["Must match the state of the GSTIN (its first two digits)."])
            if not values["legal_name"]:
                errors.setdefault("legal_name", ["Required with a GSTIN: the name registered for GST."])
        if values["billing_email"]:
            try:
                validate_email(values["billing_email"])
            except DjangoValidationError:
                errors.setdefault("billing_email", ["Enter a valid email address."])
        if errors:
            first = next(iter(errors))
            raise ValidationFailed(f"{first}: {errors[first][0]}", detail=errors)
        for field, value in values.items():
            setattr(profile, field, value)
        try:
            with transaction.atomic():
                profile.save()
        except IntegrityError as exc:  # two first saves at once: the other one won
            raise Conflict("The billing details changed meanwhile; try again.", code="conflict") from exc
    return profile
