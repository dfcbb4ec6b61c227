"""Extension Settings: the Amazon credentials, for MWS or the Selling Partner API on one page.

Secrets are write-only: the inputs never carry a value, a hint shows the stored value masked,
and a blank field keeps it.
"""

from __future__ import annotations

from django import forms
from django.conf import settings

from amazon_ext.models import AmazonCredentials, ConnectionKind
from installation.forms.credentials_help import HELP
from tenants.encryption import Secret

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
# One page shows both kinds: each field once, in this order; the page hides the fields of
# the kind not chosen. MWS fields keep the manual's order. For SP-API the Marketplace IDs come
# first, then Authorize with Amazon (which takes them along), then the fields for pasting one's
# own app's credentials (the page's CSS moves Seller ID after them for SP-API).
FIELD_ORDER = [
    "access_key",
    "seller_id",
    "secret_key",
    "mws_auth_token",
    "marketplace_id_1",
    "marketplace_id_2",
    "marketplace_id_3",
    "lwa_client_id",
    "lwa_client_secret",
    "lwa_refresh_token",
]
# The Authorize with Amazon block follows this field.
AUTHORIZE_AFTER = "marketplace_id_3"
# Selling Partner API first and pre-selected: Amazon switched MWS off on 1 April 2024.
KIND_CHOICES = [
    (ConnectionKind.SPAPI.value, "Selling Partner API"),
    (
        ConnectionKind.MWS.value,
        "Amazon MWS (the manual's legacy connection, kept for existing set-ups)",
    ),
]
_MWS_ONLY = ("access_key", "secret_key", "mws_auth_token")


def authorize_with_amazon_available() -> bool:
    """The website authorization workflow needs this installation's SP-API app."""
    return bool(
        getattr(settings, "AMAZON_SPAPI_APP_ID", "")
        and getattr(settings, "AMAZON_LWA_CLIENT_ID", "")
        and getattr(settings, "AMAZON_LWA_CLIENT_SECRET", "")
    )


def installation_app_client_id() -> str:
    """This installation's own SP-API app (Authorize with Amazon), whose secret comes from
    settings and is never read from a tenant's credentials (amazon_ext.amazon.factory)."""
    if not getattr(settings, "AMAZON_LWA_CLIENT_SECRET", ""):
        return ""
    return (getattr(settings, "AMAZON_LWA_CLIENT_ID", "") or "").strip()


INSTALLATION_APP_MESSAGE = (
    "This LWA client id is this installation's own Amazon app: its client secret is set by "
    "the installation (AMAZON_LWA_CLIENT_SECRET) and a secret typed here would never be used. "
    "Leave the LWA client secret blank, or enter the client id of your own SP-API app."
)


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
        initial=ConnectionKind.SPAPI,
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
        for name in AmazonCredentials.SECRET_FIELDS:
            stored = getattr(credentials, name, "") if credentials is not None else ""
            if isinstance(stored, Secret) and stored:
                self.stored_hints[name] = stored.masked
                self.fields[name].widget.attrs["placeholder"] = "(unchanged)"
        for name, field in self.fields.items():
            if name in self.stored_hints:
                field.stored_hint = self.stored_hints[name]
        if installation_app_client_id():
            self.fields["lwa_client_secret"].help_text += (
                " Leave it blank when the LWA client id is this installation's own app "
                f"({installation_app_client_id()}): its secret is set by the installation."
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        if (
            self._uses_installation_app(cleaned)
            and (cleaned.get("lwa_client_secret") or "").strip()
        ):
            self.add_error("lwa_client_secret", INSTALLATION_APP_MESSAGE)
        return cleaned

    def _uses_installation_app(self, cleaned: dict) -> bool:
        app = installation_app_client_id()
        kind = cleaned.get("kind") or self._kind_without_choice()
        typed = (cleaned.get("lwa_client_id") or "").strip()
        return bool(app) and kind == ConnectionKind.SPAPI and typed == app

    def chosen_kind(self) -> str:
        kind = self["kind"].value()
        return kind if kind in FIELDS_BY_KIND else self._kind_without_choice()

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or self._kind_without_choice()

    def _kind_without_choice(self) -> str:
        """A post without the radio (the page always sends one): MWS if MWS-only fields were
        filled in, else the pre-selected Selling Partner API."""
        if self.is_bound and any((self.data.get(name) or "").strip() for name in _MWS_ONLY):
            return ConnectionKind.MWS
        return ConnectionKind.SPAPI

    def kind_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in FIELDS_BY_KIND[self.chosen_kind()]]

    def fields_with_kinds(self) -> list[tuple[forms.BoundField, str, bool]]:
        """Every credential field once, with the kinds it belongs to ("mws spapi") and
        whether the Authorize with Amazon block follows it."""
        return [
            (
                self[name],
                " ".join(k for k, names in FIELDS_BY_KIND.items() if name in names),
                name == AUTHORIZE_AFTER,
            )
            for name in FIELD_ORDER
        ]

    def service_data(self) -> dict[str, str]:
        """What credentials_save takes: the chosen kind's fields as typed (the service trims
        and checks)."""
        names = FIELDS_BY_KIND[self.cleaned_data.get("kind") or self._kind_without_choice()]
        data = {name: self.cleaned_data.get(name) or "" for name in names}
        if self._uses_installation_app(self.cleaned_data):
            # Saved as Authorize with Amazon saves it; the factory reads the current one.
            data["lwa_client_secret"] = settings.AMAZON_LWA_CLIENT_SECRET
        return data

    def add_service_errors(self, errors: dict[str, str]) -> None:
        """Put each service error on the field at fault, the rest on the form."""
        for field, message in errors.items():
            if field in self.fields:
                self.add_error(field, message)
            elif field == "marketplace_ids":
                self.add_error("marketplace_id_1", message)
            else:
                self.add_error(None, message)
