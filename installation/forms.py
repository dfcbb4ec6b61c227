"""Forms for the install wizard and Settings. They collect and shape input; the services
decide what is valid (credentials) and save it.

Labels are the manual's own ("Aws Accesskey", "MarketplaceID 1", ...); help texts are its
section 1.2, "Finding your Amazon Credentials".
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from amazon_ext.models import AmazonCredentials, ConnectionKind
from tenants.encryption import Secret
from tenants.models import InstallScope, Tenant

_PERMISSIONS = "Seller Central → Settings → User Permissions → Amazon MWS Developer Permissions"

# Manual 1.2, per field.
HELP = {
    "access_key": (
        f"{_PERMISSIONS}: click “View your credentials”; the pop-up "
        "“Your Developer Account Information” shows the AWS Access Key ID."
    ),
    "seller_id": (f"{_PERMISSIONS} → Your Account Information shows the Seller ID."),
    "secret_key": (
        f"{_PERMISSIONS}: click “View your credentials”; the Secret Key is in the same "
        "pop-up as the AWS Access Key (click Show)."
    ),
    "mws_auth_token": (
        f"{_PERMISSIONS}: click “Authorize a Developer”, enter the developer's name and ID "
        "and click Next; the MWS Auth Token is shown under Seller-Developer Authorization."
    ),
    "marketplace_id": (
        "Shown with the MWS Auth Token after “Authorize a Developer” (Seller account "
        "identifiers → Marketplace ID), e.g. ATVPDKIKX0DER for Amazon.com."
    ),
    "marketplace_id_extra": "Optional: another marketplace served by the same Amazon endpoint.",
    "kind": (
        "Selling Partner API for a real seller account today (Amazon switched MWS off on "
        "1 April 2024); MWS for existing set-ups and the stand-in."
    ),
    "lwa_client_id": (
        "Developer Central (Seller Central → Apps and Services → Develop Apps) → your app → "
        "View under LWA credentials: the Client identifier, amzn1.application-oa2-client.…"
    ),
    "lwa_client_secret": "Shown next to the LWA client identifier (Client secret).",
    "lwa_refresh_token": (
        "Atzr|… from your app's Authorize (self-authorization) in Developer Central, or "
        "press Authorize with Amazon and leave this blank."
    ),
}

# Field names per connection kind, in the manual's order for MWS.
FIELDS_BY_KIND = {
    ConnectionKind.MWS: [
        "access_key",
        "seller_id",
        "secret_key",
        "mws_auth_token",
        "marketplace_id_1",
        "marketplace_id_2",
        "marketplace_id_3",
    ],
    ConnectionKind.SPAPI: [
        "lwa_client_id",
        "lwa_client_secret",
        "lwa_refresh_token",
        "seller_id",
        "marketplace_id_1",
        "marketplace_id_2",
        "marketplace_id_3",
    ],
}
# One page shows both kinds: each field once, in this order (the MWS fields keep the
# manual's order); the page hides the fields of the kind not chosen.
FIELD_ORDER = [
    "access_key",
    "lwa_client_id",
    "lwa_client_secret",
    "lwa_refresh_token",
    "seller_id",
    "secret_key",
    "mws_auth_token",
    "marketplace_id_1",
    "marketplace_id_2",
    "marketplace_id_3",
]
SECRET_FIELD_NAMES = (
    "access_key",
    "secret_key",
    "mws_auth_token",
    "lwa_client_secret",
    "lwa_refresh_token",
)
KIND_CHOICES = [
    (ConnectionKind.MWS.value, "Amazon MWS"),
    (ConnectionKind.SPAPI.value, "Selling Partner API"),
]


def authorize_with_amazon_available() -> bool:
    """The website authorization workflow needs this installation's SP-API app."""
    return bool(
        getattr(settings, "AMAZON_SPAPI_APP_ID", "")
        and getattr(settings, "AMAZON_LWA_CLIENT_ID", "")
        and getattr(settings, "AMAZON_LWA_CLIENT_SECRET", "")
    )


class TermsForm(forms.Form):
    """Step 1: the extension's details and the Terms of Service."""

    agree = forms.BooleanField(
        label="I have agreed to the Terms of Service",
        required=True,
        error_messages={"required": "Agree to the Terms of Service to install the extension."},
    )


def _split_commas(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class InstallScopeForm(forms.Form):
    """Step 2: "Choose Users/ Profiles"."""

    install_scope = forms.ChoiceField(
        label="Choose Users/ Profiles",
        choices=InstallScope.choices,
        widget=forms.RadioSelect,
        initial=InstallScope.ADMINS_ONLY,
    )
    allowed_profiles = forms.CharField(
        label="Profiles",
        required=False,
        help_text="Comma-separated CRM profile names, e.g. Sales, Support",
    )

    def clean_allowed_profiles(self) -> list[str]:
        return _split_commas(self.cleaned_data.get("allowed_profiles", ""))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("install_scope") == InstallScope.CHOSEN_PROFILES and not cleaned.get(
            "allowed_profiles"
        ):
            self.add_error("allowed_profiles", "Name at least one profile, e.g. Sales.")
        if cleaned.get("install_scope") != InstallScope.CHOSEN_PROFILES:
            cleaned["allowed_profiles"] = []
        return cleaned


def secret_field(label: str, help_text: str) -> forms.CharField:
    """Write-only: the browser never gets a stored secret back; blank keeps it."""
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class CredentialsForm(forms.Form):
    """ "Extension Settings": the credentials. Secrets are write-only: the inputs never carry a
    value, a hint shows the stored value masked, and a blank field keeps it."""

    kind = forms.ChoiceField(
        label="Amazon connection",
        choices=KIND_CHOICES,
        initial=ConnectionKind.MWS,
        required=False,
        help_text=HELP["kind"],
        widget=forms.RadioSelect,
    )
    lwa_client_id = forms.CharField(
        label="LWA client id", required=False, max_length=200, help_text=HELP["lwa_client_id"]
    )
    lwa_client_secret = secret_field("LWA client secret", HELP["lwa_client_secret"])
    lwa_refresh_token = secret_field("LWA refresh token", HELP["lwa_refresh_token"])
    access_key = secret_field("Aws Accesskey", HELP["access_key"])
    seller_id = forms.CharField(
        label="Seller ID", required=False, max_length=32, help_text=HELP["seller_id"]
    )
    secret_key = secret_field("Secret Key", HELP["secret_key"])
    mws_auth_token = secret_field("MWS Authtoken", HELP["mws_auth_token"])
    marketplace_id_1 = forms.CharField(
        label="MarketplaceID 1", required=False, max_length=20, help_text=HELP["marketplace_id"]
    )
    marketplace_id_2 = forms.CharField(
        label="MarketplaceID 2",
        required=False,
        max_length=20,
        help_text=HELP["marketplace_id_extra"],
    )
    marketplace_id_3 = forms.CharField(
        label="MarketplaceID 3",
        required=False,
        max_length=20,
        help_text=HELP["marketplace_id_extra"],
    )

    def __init__(self, *args, credentials: AmazonCredentials | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if credentials is not None:
            self.fields["kind"].initial = credentials.kind
        self.authorize_available = authorize_with_amazon_available()
        self.stored_hints: dict[str, str] = {}
        for name in SECRET_FIELD_NAMES:
            stored = getattr(credentials, name, "") if credentials is not None else ""
            if isinstance(stored, Secret) and stored:
                self.stored_hints[name] = stored.masked
                self.fields[name].widget.attrs["placeholder"] = "(unchanged)"
        for name, field in self.fields.items():
            if name in self.stored_hints:
                field.stored_hint = self.stored_hints[name]

    def chosen_kind(self) -> str:
        kind = self["kind"].value()
        return kind if kind in FIELDS_BY_KIND else ConnectionKind.MWS

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or ConnectionKind.MWS

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FIELDS_BY_KIND[self.chosen_kind()]]

    def fields_with_kinds(self) -> list[tuple[forms.BoundField, str]]:
        """Every credential field once, with the kinds it belongs to ("mws spapi")."""
        return [
            (self[name], " ".join(k for k, names in FIELDS_BY_KIND.items() if name in names))
            for name in FIELD_ORDER
        ]

    def service_data(self) -> dict[str, str]:
        """What credentials_save takes: the chosen kind's fields as typed (the service trims
        and checks)."""
        names = FIELDS_BY_KIND[self.cleaned_data.get("kind") or ConnectionKind.MWS]
        return {name: self.cleaned_data.get(name) or "" for name in names}

    def add_service_errors(self, errors: dict[str, str]) -> None:
        """Put each service error on the field at fault, the rest on the form."""
        for field, message in errors.items():
            if field in self.fields:
                self.add_error(field, message)
            elif field == "marketplace_ids":
                self.add_error("marketplace_id_1", message)
            else:
                self.add_error(None, message)


def _time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in zones]


class TenantSettingsForm(forms.Form):
    """Settings: time zone, who receives the run emails, who may use the extension."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="The schedules run daily at 11:55 PM in this time zone.",
    )
    notification_emails = forms.CharField(
        label="Who receives the emails",
        required=False,
        help_text="Comma-separated addresses. Leave blank to send to the super administrator.",
    )
    install_scope = forms.ChoiceField(
        label="Choose Users/ Profiles", choices=InstallScope.choices, widget=forms.RadioSelect
    )
    allowed_profiles = forms.CharField(
        label="Profiles",
        required=False,
        help_text="Comma-separated CRM profile names, e.g. Sales, Support",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices()

    @classmethod
    def initial_for(cls, tenant: Tenant) -> dict:
        return {
            "time_zone": tenant.time_zone,
            "notification_emails": ", ".join(tenant.notification_emails or []),
            "install_scope": tenant.install_scope,
            "allowed_profiles": ", ".join(tenant.allowed_profiles or []),
        }

    def clean_notification_emails(self) -> list[str]:
        emails = _split_commas(self.cleaned_data.get("notification_emails", ""))
        bad = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                bad.append(email)
        if bad:
            raise ValidationError(f"Not an email address: {', '.join(bad)}.")
        return emails

    def clean_allowed_profiles(self) -> list[str]:
        return _split_commas(self.cleaned_data.get("allowed_profiles", ""))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("install_scope") == InstallScope.CHOSEN_PROFILES and not cleaned.get(
            "allowed_profiles"
        ):
            self.add_error("allowed_profiles", "Name at least one profile, e.g. Sales.")
        if cleaned.get("install_scope") != InstallScope.CHOSEN_PROFILES:
            cleaned["allowed_profiles"] = []
        return cleaned


class OrganisationForm(forms.Form):
    """A new organisation (tenant) whose administrator is the signed-in user."""

    name = forms.CharField(label="Organisation name", max_length=200)
    super_admin_email = forms.EmailField(
        label="Super administrator's email",
        help_text="Receives the run emails unless you choose others in Settings.",
    )
