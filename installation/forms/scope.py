""" "Choose Users/ Profiles": the cleaning the wizard's step 2 and Settings share."""

from __future__ import annotations

from django import forms

from tenants.models import InstallScope


def split_commas(value: str) -> list[str]:
    """``"Sales, , Support"`` → ``["Sales", "Support"]``."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def allowed_profiles_field() -> forms.CharField:
    return forms.CharField(
        label="Profiles",
        required=False,
        help_text="Comma-separated CRM profile names, e.g. Sales, Support",
    )


class InstallScopeCleaning:
    """For a form with ``install_scope`` and ``allowed_profiles``: profiles are a list, at
    least one when the scope is chosen profiles, and none otherwise."""

    def clean_allowed_profiles(self) -> list[str]:
        return split_commas(self.cleaned_data.get("allowed_profiles", ""))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("install_scope") == InstallScope.CHOSEN_PROFILES and not cleaned.get(
            "allowed_profiles"
        ):
            self.add_error("allowed_profiles", "Name at least one profile, e.g. Sales.")
        if cleaned.get("install_scope") != InstallScope.CHOSEN_PROFILES:
            cleaned["allowed_profiles"] = []
        return cleaned
