"""Web forms: validation only; the views hand cleaned data to services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm

from suresh_ai.errors import ApplicationError
from tenants.models import (
    WORKSPACE_ADDRESS_HELP,
    ApiKey,
    Partner,
    Role,
    validate_workspace_address,
    workspace_address_suggestion,
)


class WorkspaceAddressFormField(forms.CharField):
    """The workspace-address rule (tenants.models) with its plain-words errors, not SlugField's."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", WORKSPACE_ADDRESS_HELP)
        super().__init__(max_length=None, validators=[validate_workspace_address], **kwargs)
        self.widget.attrs.update({"maxlength": "40", "autocapitalize": "none", "spellcheck": "false"})


class LoginForm(forms.Form):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class OtpForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app (or a backup code)",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class SignupForm(forms.Form):
    """Step one of sign-up: no password here, so the answer is the same whether or not the email has
    an account (the emailed link's page asks for one). The address is suggested from the business name
    (static/js/signup.js as you type; here when it is left empty)."""

    company = forms.CharField(label="Business name", max_length=100)
    slug = WorkspaceAddressFormField(label="Workspace address", required=False)
    full_name = forms.CharField(label="Your name", max_length=150, required=False)
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    referral = forms.CharField(
        label="Referral code", max_length=12, required=False, help_text="Optional: from a business that invited you."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "slug" in data and not data["slug"] and data.get("company"):
            suggestion = workspace_address_suggestion(data["company"])
            if suggestion:
                data["slug"] = suggestion
                # Show the suggestion if the page comes back with errors.
                self.data = {**dict(self.data.items()), "slug": suggestion}
        if "slug" in data and not data["slug"]:
            self.add_error("slug", "Enter a workspace address, e.g. acme-store.")
        return data


class SignupNewPasswordForm(forms.Form):
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
        help_text="At least 12 characters and not a common password.",
    )


class SignupAccountPasswordForm(forms.Form):
    password = forms.CharField(
        label="Your account's password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150, required=False)
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters and not a common password.",
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email")
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.ANALYST)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="What will use this key, e.g. 'Shop sync'.")
    scopes = forms.MultipleChoiceField(
        label="Scopes", choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple, initial=["read"]
    )
    expires_at = forms.DateTimeField(
        label="Expires (optional, UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="In UTC: India is UTC+5:30, so 18:00 IST is 12:30 UTC.",
    )


class BrandingForm(forms.Form):
    display_name = forms.CharField(label="Display name", max_length=100, required=False)
    primary_colour = forms.RegexField(
        label="Primary colour", regex=r"^#[0-9a-fA-F]{6}$", widget=forms.TextInput(attrs={"type": "color"})
    )
    support_email = forms.EmailField(label="Support email", required=False)
    email_sender_name = forms.CharField(label="Email sender name", max_length=100, required=False)
    logo = forms.FileField(label="Logo (PNG, JPEG or WebP)", required=False)
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)
    require_2fa = forms.BooleanField(label="Require two-factor sign-in for every member", required=False)


def form_apply_errors(form: Any, exc: ApplicationError) -> None:
    """Show a service's validation error on the form field it names (or on the form)."""
    field_map = {"owner_email": "email", "owner_password": "password", "name": "company"}
    if isinstance(exc.detail, dict) and exc.detail:
        for field, msgs in exc.detail.items():
            target = field if field in form.fields else field_map.get(field, field)
            form.add_error(target if target in form.fields else None, " ".join(msgs))
    else:
        form.add_error(None, exc.message)


class TenantCreateForm(forms.Form):
    """Platform admin: create a tenant through tenants.services.tenant_create."""

    name = forms.CharField(max_length=100)
    slug = WorkspaceAddressFormField(label="Slug (subdomain and schema name)")
    owner_email = forms.EmailField()
    owner_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="For a new account. Leave empty to make an existing account the owner.",
    )
    partner = forms.ModelChoiceField(queryset=Partner.objects.all(), required=False)
    custom_domain = forms.CharField(max_length=253, required=False)


class WorkspacePasswordResetForm(PasswordResetForm):
    """On a workspace's domain, only its members get a reset email (branded by that workspace);
    the platform's own domain serves every account."""

    tenant: Any = None

    def get_users(self, email: str) -> Any:
        users = super().get_users(email)
        if self.tenant is None or self.tenant.schema_name == "public":
            return users
        return (user for user in users if user.memberships.filter(tenant=self.tenant).exists())

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        """Hand the sending to a worker by user id: the response takes the same time whether or
        not the account exists, and the reset token is made by the worker, never queued."""
        from tenants.tasks import password_reset_send_email

        context = args[2] if len(args) > 2 else kwargs["context"]
        password_reset_send_email.delay(user_id=context["user"].pk, host=context["domain"], scheme=context["protocol"])
