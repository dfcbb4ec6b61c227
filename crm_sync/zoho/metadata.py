"""Typed settings and metadata: field definitions, modules, users and the org.

Read once from Zoho's JSON here, so field setup and connecting never index into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class FieldDefinition:
    """One field of a module (``GET /settings/fields``). ``unique`` is Zoho's "Do not allow
    duplicate values", which upserts need on their key field."""

    id: str
    api_name: str
    label: str
    data_type: str | None
    unique: bool
    length: int | None = None
    custom: bool = False

    @classmethod
    def from_json(cls, data: dict) -> FieldDefinition:
        unique = data.get("unique")
        return cls(
            id=_text(data.get("id")),
            api_name=_text(data.get("api_name")),
            label=_text(data.get("field_label")),
            data_type=data.get("data_type"),
            # Zoho sends ``true`` or a settings object such as {"case_sensitive": false}.
            unique=unique is True or (isinstance(unique, dict) and bool(unique)),
            length=_int(data.get("length")),
            custom=bool(data.get("custom_field")),
        )


@dataclass(frozen=True)
class NewTextField:
    """A single-line text field to create; ``unique`` asks for "Do not allow duplicates"
    (case-insensitive, as Amazon's ids and emails are matched)."""

    label: str
    length: int = 255
    unique: bool = False

    def as_json(self) -> dict:
        spec: dict[str, Any] = {
            "field_label": self.label,
            "data_type": "text",
            "length": self.length,
        }
        if self.unique:
            spec["unique"] = {"case_sensitive": False}
        return spec


@dataclass(frozen=True)
class NewTypedField:
    """A custom field of another type (``integer``, ``datetime``, ``textarea`` …) for the
    history modules; ``unique`` is "Do not allow duplicates" on a text key."""

    label: str
    data_type: str
    length: int | None = None
    unique: bool = False

    def as_json(self) -> dict:
        spec: dict[str, Any] = {"field_label": self.label, "data_type": self.data_type}
        if self.length is not None:
            spec["length"] = self.length
        if self.unique:
            spec["unique"] = {"case_sensitive": True}
        return spec


@dataclass(frozen=True)
class NewLookupField:
    """A lookup field to create, pointing at ``module`` (by its API name): how an Order
    History record links to its Sales Order and to its Amazon Sync History record."""

    label: str
    module: str
    unique: bool = False  # lookups are never unique; here so field setup treats specs alike

    def as_json(self) -> dict:
        return {
            "field_label": self.label,
            "data_type": "lookup",
            "lookup": {"module": {"api_name": self.module}},
        }


@dataclass(frozen=True)
class NewModule:
    """A custom module to create (``POST /settings/modules``). Zoho needs at least one
    profile; ``name_label`` is the label of its mandatory ``Name`` field."""

    plural_label: str
    singular_label: str
    api_name: str
    profile_ids: tuple[str, ...]
    name_label: str

    def as_json(self) -> dict:
        return {
            "plural_label": self.plural_label,
            "singular_label": self.singular_label,
            "api_name": self.api_name,
            "profiles": [{"id": pid} for pid in self.profile_ids],
            "display_field": {"field_label": self.name_label, "data_type": "text"},
        }


@dataclass(frozen=True)
class ZohoProfile:
    """A CRM profile (``GET /settings/profiles``); a new module must name who sees it."""

    id: str
    name: str

    @classmethod
    def from_json(cls, data: dict) -> ZohoProfile:
        return cls(id=_text(data.get("id")), name=_text(data.get("name")))


@dataclass(frozen=True)
class FieldCreateResult:
    """Zoho's answer for one field of ``POST /settings/fields``: the new field's id, but not
    its API name (read that back)."""

    ok: bool
    field_id: str | None
    code: str | None
    message: str | None

    @classmethod
    def from_json(cls, entry: Any) -> FieldCreateResult:
        if not isinstance(entry, dict):
            return cls(False, None, "NO_RESULT", "Zoho sent no result")
        details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
        field_id = details.get("id")
        ok = entry.get("status") == "success" and bool(field_id)
        return cls(ok, str(field_id) if ok else None, entry.get("code"), entry.get("message"))


@dataclass(frozen=True)
class ZohoModule:
    """One module of the org (``GET /settings/modules``); the edition decides which exist."""

    api_name: str
    label: str
    api_supported: bool
    custom: bool
    id: str = ""
    plural_label: str = ""

    @classmethod
    def from_json(cls, data: dict) -> ZohoModule:
        return cls(
            api_name=_text(data.get("api_name")),
            label=_text(data.get("module_name")),
            api_supported=data.get("api_supported", True) is not False,
            custom=data.get("generated_type") == "custom",
            id=_text(data.get("id")),
            plural_label=_text(data.get("plural_label")),
        )


@dataclass(frozen=True)
class ZohoUser:
    """A CRM user. ``zuid`` is the Zoho account id the org names its primary contact by."""

    id: str
    zuid: str
    email: str
    full_name: str
    status: str
    profile: str
    role: str

    @classmethod
    def from_json(cls, data: dict) -> ZohoUser:
        profile = data.get("profile") if isinstance(data.get("profile"), dict) else {}
        role = data.get("role") if isinstance(data.get("role"), dict) else {}
        return cls(
            id=_text(data.get("id")),
            zuid=_text(data.get("zuid")),
            email=_text(data.get("email")),
            full_name=_text(data.get("full_name")),
            status=_text(data.get("status")),
            profile=_text(profile.get("name")),
            role=_text(role.get("name")),
        )


@dataclass(frozen=True)
class ZohoOrg:
    """The organisation (``GET /org``). ``edition`` is the paid plan (``enterprise`` …);
    ``primary_zuid`` names the super administrator."""

    id: str
    company_name: str
    edition: str
    primary_email: str
    primary_zuid: str
    zgid: str
    type: str
    domain_name: str = ""  # "org649525316": how the org appears in Zoho CRM's web addresses
    time_zone: str = ""  # IANA, e.g. "Europe/Berlin"
    # The home currency's ISO code ("iso_code"; "currency" is its name, "US Dollar"), per
    # zoho.com/developer/help/scripting/get-org-info.html.
    currency: str = ""

    @classmethod
    def from_json(cls, data: dict) -> ZohoOrg:
        license_details = data.get("license_details")
        paid_type = license_details.get("paid_type") if isinstance(license_details, dict) else None
        return cls(
            id=_text(data.get("id")),
            company_name=_text(data.get("company_name")),
            edition=_text(paid_type or data.get("edition")),
            primary_email=_text(data.get("primary_email")),
            primary_zuid=_text(data.get("primary_zuid")),
            zgid=_text(data.get("zgid")),
            type=_text(data.get("type")),
            domain_name=_text(data.get("domain_name")),
            time_zone=_text(data.get("time_zone")),
            currency=_text(data.get("iso_code")).upper()[:3],
        )
