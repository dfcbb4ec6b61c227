"""Custom modules as Zoho CRM v8 creates them (``POST /settings/modules``, ``GET /profiles``).

What the real API does, and so what this does:

* only Enterprise and Ultimate orgs may create modules through the API (400 ``NOT_SUPPORTED``
  below); each edition caps how many custom modules an org holds (400 ``LIMIT_EXCEEDED``,
  ``details.limit``) — Enterprise 200, Ultimate 500, or a lower cap a test sets;
* one module per call, ``plural_label`` and ``singular_label`` (≤25 characters, letters,
  digits and spaces) and at least one profile id (from ``GET /settings/profiles``) are
  mandatory; a label or API name in use is 400 ``DUPLICATE_DATA``;
* the answer carries only the new module's id: its API name (generated from the plural label
  when none is given) is read back from ``GET /settings/modules``;
* every module gets a mandatory ``Name`` field labelled after the display field (default
  "<Singular> Name") and the usual owner and time fields; the call costs 500 credits
  (``api.ApiApp.cost``);
* there is no API to delete a module: an administrator deletes it in Setup.
"""

from __future__ import annotations

import re
from typing import Any

from .store import Org

# Custom modules an org may hold, per edition (Zoho's edition comparison).
CUSTOM_MODULE_CAP = {"enterprise": 200, "ultimate": 500}
LABEL_RX = re.compile(r"^[A-Za-z0-9 ]{1,25}$")
API_NAME_RX = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,49}$")


class ModuleError(Exception):
    """A refused create: the HTTP status and Zoho's error body."""

    def __init__(self, status: int, code: str, message: str, details: dict) -> None:
        super().__init__(code)
        self.status, self.code, self.message, self.details = status, code, message, details


def profiles_json(org: Org) -> list[dict]:
    """``GET /settings/profiles``: the org's profiles with their ids."""
    return [
        {"id": pid, "name": name, "display_label": name, "custom": name != "Administrator"}
        for name, pid in org.profile_ids.items()
    ]


def _custom_count(org: Org) -> int:
    return len(org.module_labels) + getattr(org, "preexisting_custom_modules", 0)


def module_cap(org: Org) -> int:
    override = getattr(org, "custom_module_cap", None)
    return override if override is not None else CUSTOM_MODULE_CAP.get(org.edition, 0)


def create_module(org: Org, body: Any) -> str:
    """Validate one module spec as Zoho does and create it; returns the new module's id."""
    if org.edition not in CUSTOM_MODULE_CAP:
        raise ModuleError(
            400,
            "NOT_SUPPORTED",
            "custom modules are not available in this edition",
            {},
        )
    specs = body.get("modules") if isinstance(body, dict) else None
    if not isinstance(specs, list) or len(specs) != 1 or not isinstance(specs[0], dict):
        raise ModuleError(
            400, "INVALID_DATA", "exactly one module per call", {"api_name": "modules"}
        )
    spec = specs[0]
    for key in ("plural_label", "singular_label"):
        value = spec.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ModuleError(
                400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": key}
            )
        if not LABEL_RX.match(value):
            raise ModuleError(
                400, "INVALID_DATA", "invalid data", {"api_name": key, "maximum_length": 25}
            )
    profiles = spec.get("profiles")
    if not isinstance(profiles, list) or not profiles:
        raise ModuleError(
            400, "MANDATORY_NOT_FOUND", "required field not found", {"api_name": "profiles"}
        )
    known = set(org.profile_ids.values())
    for i, p in enumerate(profiles):
        if not isinstance(p, dict) or str(p.get("id")) not in known:
            raise ModuleError(
                400,
                "INVALID_DATA",
                "the id given seems to be invalid",
                {"api_name": "id", "json_path": f"$.modules[0].profiles[{i}].id"},
            )
    plural, singular = spec["plural_label"].strip(), spec["singular_label"].strip()
    api_name = spec.get("api_name") or re.sub(r"\s+", "_", plural)
    if not isinstance(api_name, str) or not API_NAME_RX.match(api_name) or "__" in api_name:
        raise ModuleError(400, "INVALID_DATA", "invalid api name", {"api_name": "api_name"})
    if api_name.endswith("_"):
        raise ModuleError(400, "INVALID_DATA", "invalid api name", {"api_name": "api_name"})
    taken_labels = {p.lower() for p, _ in org.module_labels.values()}
    if api_name.lower() in {m.lower() for m in org.modules} or plural.lower() in taken_labels:
        raise ModuleError(400, "DUPLICATE_DATA", "duplicate data", {"api_name": "plural_label"})
    cap = module_cap(org)
    if _custom_count(org) >= cap:
        raise ModuleError(400, "LIMIT_EXCEEDED", "custom module limit reached", {"limit": cap})
    display = spec.get("display_field") if isinstance(spec.get("display_field"), dict) else {}
    label = display.get("field_label") or f"{singular} Name"
    module = org.add_custom_module(api_name, plural, singular)
    module.fields["Name"].field_label = str(label)[:50]
    return module.meta_id
