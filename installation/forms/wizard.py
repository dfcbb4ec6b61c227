"""The install wizard's first two steps; step 3 is the credentials form."""

from __future__ import annotations

from django import forms

from installation.forms.scope import InstallScopeCleaning, allowed_profiles_field
from tenants.models import InstallScope


class TermsForm(forms.Form):
    """Step 1: the extension's details and the Terms of Service."""

    agree = forms.BooleanField(
        label="I have agreed to the Terms of Service",
        required=True,
        error_messages={"required": "Agree to the Terms of Service to install the extension."},
    )


class InstallScopeForm(InstallScopeCleaning, forms.Form):
    """Step 2: "Choose Users/ Profiles"."""

    install_scope = forms.ChoiceField(
        label="Choose Users/ Profiles",
        choices=InstallScope.choices,
        widget=forms.RadioSelect,
        initial=InstallScope.ADMINS_ONLY,
    )
    allowed_profiles = allowed_profiles_field()
