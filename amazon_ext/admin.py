"""Operator admin. Secrets show masked; they can be replaced, never read back."""

from django import forms
from django.contrib import admin

from amazon_ext.models import AmazonCredentials


class AmazonCredentialsAdminForm(forms.ModelForm):
    """Secret fields are write-only: blank keeps the stored value."""

    # One input per AmazonCredentials.SECRET_FIELDS.
    access_key = forms.CharField(required=False, widget=forms.PasswordInput)
    secret_key = forms.CharField(required=False, widget=forms.PasswordInput)
    mws_auth_token = forms.CharField(required=False, widget=forms.PasswordInput)
    lwa_client_secret = forms.CharField(required=False, widget=forms.PasswordInput)
    lwa_refresh_token = forms.CharField(required=False, widget=forms.PasswordInput)

    class Meta:
        model = AmazonCredentials
        fields = ["tenant", "kind", "seller_id", "marketplace_ids", "lwa_client_id"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in AmazonCredentials.SECRET_FIELDS:
            current = getattr(self.instance, name, "") if self.instance.pk else ""
            self.fields[
                name
            ].help_text = (
                f"Stored: {current.masked if current else 'none'}. Leave blank to keep it."
            )
            self.initial.pop(name, None)

    def save(self, commit: bool = True):
        instance = super().save(commit=False)
        for name in AmazonCredentials.SECRET_FIELDS:
            value = (self.cleaned_data.get(name) or "").strip()
            if value:
                setattr(instance, name, value)
        if commit:
            instance.save()
        return instance


@admin.register(AmazonCredentials)
class AmazonCredentialsAdmin(admin.ModelAdmin):
    form = AmazonCredentialsAdminForm
    list_display = ["tenant", "kind", "seller_id", "masked_access_key", "verified_at"]
    readonly_fields = ["verified_at", "updated_at"]

    @admin.display(description="AWS Access Key")
    def masked_access_key(self, obj: AmazonCredentials) -> str:
        return obj.access_key.masked if obj.access_key else "—"
