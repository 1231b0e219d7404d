from __future__ import annotations

from django import forms

from billing.gst_states import GST_STATES


class BillingProfileForm(forms.Form):
    legal_name = forms.CharField(label="Legal name", max_length=200, required=False)
    gstin = forms.CharField(label="GSTIN", max_length=20, required=False, help_text="Leave empty if not registered.")
    state_code = forms.ChoiceField(
        label="State (place of supply)",
        required=False,
        choices=[("", "—")] + [(code, f"{name} ({code})") for code, name in GST_STATES.items()],
    )
    address = forms.CharField(
        label="Billing address", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    billing_email = forms.EmailField(label="Send invoices to", required=False, help_text="Empty: the owners.")
