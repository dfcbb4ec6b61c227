"""Checks on Amazon credentials as typed by a person: pure functions, no I/O.

Every problem comes back keyed by the form field at fault, in words the seller can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from amazon_ext.amazon.marketplaces import MARKETPLACES

MAX_MARKETPLACES = 3
_SELLER_ID = re.compile(r"^[A-Z0-9]{8,20}$")
_ACCESS_KEY = re.compile(r"^[A-Z0-9]{16,128}$")
_SECRET_KEY = re.compile(r"^[A-Za-z0-9/+=]{20,128}$")
_MWS_AUTH_TOKEN = re.compile(r"^amzn\.mws\.[0-9A-Za-z-]{8,64}$")
_LWA_CLIENT_ID = re.compile(r"^amzn1\.application-oa2-client\.[0-9a-z]{8,64}$")
_LWA_REFRESH_TOKEN = re.compile(r"^Atzr\|\S{8,2048}$")


class CredentialsInvalidError(Exception):
    """``errors`` maps a field name to what is wrong with it."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class CredentialsInput:
    """Cleaned credentials. A secret left blank is None: keep the stored value."""

    kind: str
    seller_id: str
    marketplace_ids: list[str] = field(default_factory=list)
    access_key: str | None = None
    secret_key: str | None = None
    mws_auth_token: str | None = None
    lwa_client_id: str = ""
    lwa_client_secret: str | None = None
    lwa_refresh_token: str | None = None


def clean_marketplace_ids(
    raw_ids: list[str], *, kind: str = "mws"
) -> tuple[list[str], dict[str, str]]:
    """Returns (ids, errors); errors are keyed marketplace_id_1..3 or marketplace_ids.

    One MWS connection talks to one MWS endpoint; one SP-API connection to one region.
    """
    errors: dict[str, str] = {}
    ids: list[str] = []
    filled = [(pos, (value or "").strip().upper()) for pos, value in enumerate(raw_ids, 1)]
    filled = [(pos, value) for pos, value in filled if value]
    if not filled:
        return [], {"marketplace_id_1": "Enter at least one Marketplace ID, e.g. ATVPDKIKX0DER."}
    if len(filled) > MAX_MARKETPLACES:
        return [], {"marketplace_ids": f"Enter at most {MAX_MARKETPLACES} Marketplace IDs."}
    for pos, value in filled:
        key = f"marketplace_id_{pos}"
        if value not in MARKETPLACES:
            errors[key] = (
                f"{value} is not an Amazon marketplace ID (for example ATVPDKIKX0DER is "
                "Amazon.com, A1PA6795UKMFR9 is Amazon.de)."
            )
        elif value in ids:
            errors[key] = f"{value} is entered twice."
        else:
            ids.append(value)
    if errors:
        return ids, errors
    first = MARKETPLACES[ids[0]]
    for pos, value in filled[1:]:
        other = MARKETPLACES[value]
        if kind == "spapi" and other.spapi_region != first.spapi_region:
            errors[f"marketplace_id_{pos}"] = (
                f"{value} ({other.name}) is in the SP-API {other.spapi_region.upper()} region, "
                f"but {first.marketplace_id} ({first.name}) is in "
                f"{first.spapi_region.upper()}; one connection serves one region."
            )
        elif kind != "spapi" and other.mws_endpoint != first.mws_endpoint:
            errors[f"marketplace_id_{pos}"] = (
                f"{value} ({other.name}) is served by {other.mws_host}, but "
                f"{first.marketplace_id} ({first.name}) is served by {first.mws_host}; "
                "one connection can only use marketplaces of one Amazon MWS endpoint."
            )
    return ids, errors


def _check(
    errors: dict[str, str], name: str, value: str, pattern: re.Pattern, message: str
) -> None:
    if value and not pattern.match(value):
        errors[name] = message


def clean_credentials(
    data: Mapping[str, str], *, kind: str, has_stored_secrets: bool
) -> CredentialsInput:
    """Trim and check every field; raise CredentialsInvalidError listing all problems at once."""

    def get(name: str) -> str:
        return (data.get(name) or "").strip()

    errors: dict[str, str] = {}
    seller_id = get("seller_id").upper()
    if not seller_id:
        errors["seller_id"] = (
            "Enter your Seller ID (Settings → User Permissions in Seller Central)."
        )
    else:
        _check(
            errors,
            "seller_id",
            seller_id,
            _SELLER_ID,
            "A Seller ID is 8 to 20 capital letters and digits, e.g. A2X13Y8357WGYA.",
        )
    raw_ids = [data.get(f"marketplace_id_{i}", "") for i in range(1, MAX_MARKETPLACES + 1)]
    ids, mp_errors = clean_marketplace_ids(raw_ids, kind=kind)
    errors.update(mp_errors)

    secrets: dict[str, str | None] = {}
    if kind == "mws":
        required = {
            "access_key": (
                "AWS Access Key",
                _ACCESS_KEY,
                "An AWS Access Key is 16 to 128 capital letters and digits (it starts with AKIA).",
            ),
            "secret_key": (
                "Secret Key",
                _SECRET_KEY,
                "A Secret Key is 20 to 128 letters, digits, '/', '+' or '=' (no spaces).",
            ),
            "mws_auth_token": (
                "MWS Auth Token",
                _MWS_AUTH_TOKEN,
                "An MWS Auth Token looks like amzn.mws.4ea38b7b-f563-…",
            ),
        }
    elif kind == "spapi":
        required = {
            "lwa_client_secret": (
                "LWA client secret",
                re.compile(r"^\S{8,256}$"),
                "An LWA client secret is 8 to 256 characters without spaces.",
            ),
            "lwa_refresh_token": (
                "LWA refresh token",
                _LWA_REFRESH_TOKEN,
                "An LWA refresh token starts with Atzr| and is at most 2,053 characters, without spaces.",
            ),
        }
        lwa_client_id = get("lwa_client_id")
        if not lwa_client_id:
            errors["lwa_client_id"] = "Enter the LWA client id of your SP-API app."
        else:
            _check(
                errors,
                "lwa_client_id",
                lwa_client_id,
                _LWA_CLIENT_ID,
                "An LWA client id looks like amzn1.application-oa2-client.…",
            )
    else:
        raise CredentialsInvalidError({"kind": f"Unknown connection kind {kind!r}."})

    for name, (label, pattern, message) in required.items():
        value = get(name)
        if not value:
            if not has_stored_secrets:
                errors[name] = f"Enter the {label}."
            secrets[name] = None
            continue
        _check(errors, name, value, pattern, message)
        secrets[name] = value

    if errors:
        raise CredentialsInvalidError(errors)
    return CredentialsInput(
        kind=kind,
        seller_id=seller_id,
        marketplace_ids=ids,
        lwa_client_id=get("lwa_client_id") if kind == "spapi" else "",
        **secrets,
    )
