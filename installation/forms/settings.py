"""Settings: time zone, who receives the run emails, who may use the extension."""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.html import format_html, format_html_join

from installation.forms.scope import InstallScopeCleaning, allowed_profiles_field, split_commas
from tenants.models import InstallScope, Tenant


def _time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in zones]


class DatalistInput(forms.TextInput):
    """A text input with a ``<datalist>`` of its choices: the browser filters the ~400 zones
    as the user types ("berl" offers Europe/Berlin), no script needed."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.options: list[str] = []

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or name}-options"
        attrs["list"] = list_id
        field = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}"></option>', ((o,) for o in self.options))
        return format_html('{}<datalist id="{}">{}</datalist>', field, list_id, options)


class TimeZoneField(forms.ChoiceField):
    """An IANA zone; surrounding spaces (a pasted value) are not part of it."""

    default_error_messages = {
        "invalid_choice": "%(value)s is not an IANA time zone such as Europe/Berlin.",
    }

    def to_python(self, value: object) -> str:
        return super().to_python(value).strip()


class TenantSettingsForm(InstallScopeCleaning, forms.Form):
    """Settings: time zone, who receives the run emails, who may use the extension."""

    time_zone = TimeZoneField(
        label="Time zone",
        help_text="The schedules run daily at 11:55 PM in this time zone. Type to search, "
        "e.g. “Berlin” or “New York”.",
        widget=DatalistInput,
    )
    notification_emails = forms.CharField(
        label="Who receives the emails",
        required=False,
        help_text="Comma-separated addresses. Leave blank to send to the super administrator.",
    )
    mute_no_orders_emails = forms.BooleanField(
        label="No email when a run finds no orders",
        required=False,
        help_text="Runs that create, update or fail still send their email.",
    )
    install_scope = forms.ChoiceField(
        label="Choose Users/ Profiles", choices=InstallScope.choices, widget=forms.RadioSelect
    )
    allowed_profiles = allowed_profiles_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zone_choices()
        self.fields["time_zone"].widget.options = [z for z, _ in self.fields["time_zone"].choices]

    @classmethod
    def initial_for(cls, tenant: Tenant) -> dict:
        return {
            "time_zone": tenant.time_zone,
            "notification_emails": ", ".join(tenant.notification_emails or []),
            "mute_no_orders_emails": tenant.mute_no_orders_emails,
            "install_scope": tenant.install_scope,
            "allowed_profiles": ", ".join(tenant.allowed_profiles or []),
        }

    def clean_notification_emails(self) -> list[str]:
        emails = split_commas(self.cleaned_data.get("notification_emails", ""))
        bad = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                bad.append(email)
        if bad:
            raise ValidationError(f"Not an email address: {', '.join(bad)}.")
        return emails
