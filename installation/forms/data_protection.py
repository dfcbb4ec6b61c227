"""Data protection settings: how long buyer data stays, how long history stays, and where
orders without a buyer identity go."""

from __future__ import annotations

from django import forms

from crm_sync.models.data_protection import (
    MAX_NON_PII_DAYS,
    MAX_RETENTION_DAYS,
    DataProtectionSettings,
)


class DataProtectionForm(forms.Form):
    retention_days = forms.IntegerField(
        label="Keep buyer data (days after delivery)",
        min_value=1,
        max_value=MAX_RETENTION_DAYS,
        help_text=f"1–{MAX_RETENTION_DAYS}. Amazon allows at most {MAX_RETENTION_DAYS} days "
        "after delivery; shorter is your choice.",
        error_messages={
            "max_value": f"Amazon's Data Protection Policy allows at most {MAX_RETENTION_DAYS} "
            f"days after delivery: enter {MAX_RETENTION_DAYS} or fewer.",
            "min_value": "Enter at least 1 day.",
        },
    )
    non_pii_days = forms.IntegerField(
        label="Keep order history (days)",
        min_value=30,
        max_value=MAX_NON_PII_DAYS,
        help_text=f"30–{MAX_NON_PII_DAYS} (18 months, Amazon's limit for non-PII data).",
        error_messages={
            "max_value": f"Amazon allows at most 18 months: enter {MAX_NON_PII_DAYS} or fewer.",
            "min_value": "Enter at least 30 days.",
        },
    )
    anonymous_contacts = forms.ChoiceField(
        label="Orders without a buyer identity",
        choices=DataProtectionSettings.Anonymous.choices,
        widget=forms.RadioSelect,
        help_text="Amazon gives no buyer email for FBA orders and for apps without the "
        "restricted role. Changing this affects new orders only.",
    )

    @staticmethod
    def initial_for(found: DataProtectionSettings) -> dict:
        return {
            "retention_days": found.retention_days,
            "non_pii_days": found.non_pii_days,
            "anonymous_contacts": found.anonymous_contacts,
        }
