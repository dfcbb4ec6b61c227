"""The home page's "new organisation" form."""

from __future__ import annotations

from django import forms


class OrganisationForm(forms.Form):
    """A new organisation (tenant) whose administrator is the signed-in user."""

    name = forms.CharField(label="Organisation name", max_length=200)
    super_admin_email = forms.EmailField(
        label="Super administrator's email",
        max_length=254,  # the model's limit (RFC 5321's path limit), not the form's default 320
        help_text="Receives the run emails unless you choose others in Settings.",
    )
