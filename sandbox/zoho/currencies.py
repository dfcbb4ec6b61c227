"""Multi-currency organisations as Zoho CRM runs them.

Zoho's multi-currency (Enterprise and above) has a home currency and the other currencies an
administrator added, each with an exchange rate (units of it per one unit of the home
currency). Once it is on, every module with money gets two system fields: ``Currency`` (the
record's ISO code, one of the org's) and ``Exchange_Rate``; a record written with a currency
and no rate takes that currency's rate from the org's table, a currency the org does not
have is refused with ``INVALID_DATA`` on ``Currency``. ``GET /org`` says ``mc_status: true``
and ``GET /org/currencies`` lists the table. A single-currency org has neither field, so a
record that names a ``Currency`` is refused like any unknown field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .store import Field, Org, invalid

MONEY_MODULES = ("Products", "Sales_Orders", "Deals")
NAMES = {"USD": "US Dollar", "EUR": "Euro", "GBP": "Pound Sterling", "BRL": "Brazilian Real",
         "CAD": "Canadian Dollar", "MXN": "Mexican Peso", "JPY": "Japanese Yen"}  # fmt: skip


def enable(org: Org, rates: dict[str, Any]) -> None:
    """Switch multi-currency on: the home currency (rate 1) plus ``rates`` (ISO → rate)."""
    org.currencies = {org.currency: Decimal("1")}
    org.currencies.update({iso: Decimal(str(rate)) for iso, rate in rates.items()})
    now = org.now_iso()
    for name in MONEY_MODULES:
        module = org.module(name)
        if module is None:
            continue
        for api_name, label, dtype, length in (
            ("Currency", "Currency", "picklist", 120),
            ("Exchange_Rate", "Exchange Rate", "double", 16),
        ):
            module.fields[api_name] = Field(
                id=org.ids.next(), api_name=api_name, field_label=label, data_type=dtype,
                length=length, created_time=now,
            )  # fmt: skip


def apply(org: Org, module_name: str, record: dict, path: str) -> None:
    """A cleaned record's currency checked against the org's, its rate filled in."""
    currencies = getattr(org, "currencies", None)
    if not currencies or module_name not in MONEY_MODULES or "Currency" not in record:
        return
    iso = record["Currency"]
    if iso not in currencies:
        raise invalid("Currency", f"{path}.Currency", "the currency is not added in the org")
    if record.get("Exchange_Rate") in (None, ""):
        record["Exchange_Rate"] = float(currencies[iso])


def currencies_json(org: Org) -> list[dict]:
    """``GET /org/currencies``."""
    return [
        {
            "iso_code": iso,
            "name": f"{NAMES.get(iso, iso)} - {iso}",
            "exchange_rate": str(rate),
            "is_base": iso == org.currency,
            "is_active": True,
        }
        for iso, rate in (getattr(org, "currencies", None) or {org.currency: 1}).items()
    ]
