"""Reading one Orders API v2026-01-01 answer: typed lookups that name the order and the
bad value, the model's ``Decimal`` amounts and ISO 8601 date-times, and the JSON itself.

Amounts must match RFC 7159 number syntax (the model's ``Decimal``: "A decimal number with
no loss of precision. Follows RFC 7159"); the bounds (finite, below 10^12, at most 10
decimals) and the dates' 1995–2100 range are amazon_ext.amazon.values' rules, the ones v0
and MWS answers are held to. Every amount in an order must be in one currency.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from amazon_ext.amazon import values
from amazon_ext.amazon.complete import CutShortError, json_error_at_end
from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.spapi.json_reader import MAX_JSON_DEPTH, TOO_DEEP, flatten_deep
from amazon_ext.amazon.types import Money

MAX_QUANTITY = 1_000_000
# RFC 7159's number: stricter than values' (no "+5", ".5", "5."), so checked first.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")


class Reader:
    """Typed lookups for one answer; every failure names the order and the bad value, and
    collects the currencies seen in the current order."""

    def __init__(self, request_id: str | None, what: str) -> None:
        self.request_id = request_id
        self.what = what
        self.where = "the answer"
        self.currencies: set[str] = set()

    def fail(self, detail: str) -> AmazonResponseError:
        error = AmazonResponseError(
            f"Amazon's {self.what} answer could not be read ({self.where}: {detail}); "
            "nothing from it was saved.",
            code="MalformedResponse",
            request_id=self.request_id,
        )
        error.detail = detail  # what an order quarantined for it records
        return error

    def obj(self, parent: dict, key: str, *, required: bool = False) -> dict | None:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(f"{key} is missing")
            return None
        if not isinstance(value, dict):
            raise self.fail(f"{key} is not an object")
        if TOO_DEEP in value:
            raise self.fail(f"{key} is nested more than {MAX_JSON_DEPTH} levels deep")
        return value

    def items(self, parent: dict, key: str, *, required: bool = False) -> list:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(f"{key} is missing")
            return []
        if not isinstance(value, list):
            raise self.fail(f"{key} is not a list")
        return value

    def objects(self, parent: dict, key: str, *, required: bool = False) -> list[dict]:
        values = self.items(parent, key, required=required)
        if not all(isinstance(v, dict) for v in values):
            raise self.fail(f"an entry of {key} is not an object")
        if any(TOO_DEEP in v for v in values):
            raise self.fail(f"an entry of {key} is nested more than {MAX_JSON_DEPTH} levels deep")
        return values

    def text(self, parent: dict, key: str) -> str | None:
        value = parent.get(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.fail(f"{key} is not a string")
        return value

    def required(self, parent: dict, key: str) -> str:
        value = self.text(parent, key)
        if value is None:
            raise self.fail(f"{key} is missing")
        return value

    def strings(self, parent: dict, key: str) -> tuple[str, ...]:
        values = self.items(parent, key)
        if not all(isinstance(v, str) for v in values):
            raise self.fail(f"an entry of {key} is not a string")
        return tuple(v for v in values if v)

    def quantity(self, parent: dict, key: str, *, required: bool = False) -> int | None:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(f"{key} is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{key} {str(value)[:20]!r} is not a whole number")
        if not 0 <= value <= MAX_QUANTITY:
            raise self.fail(f"{key} {value} is out of range")
        return value

    def when(self, parent: dict, key: str, *, required: bool) -> datetime | None:
        value = self.required(parent, key) if required else self.text(parent, key)
        if value is None:
            return None
        try:
            return parse_datetime(value, name=key)
        except values.UnreadableValueError as exc:  # a date, but not one Amazon could mean
            raise self.fail(str(exc)) from None
        except ValueError:
            raise self.fail(f"{key} {value[:40]!r} is not an ISO 8601 date-time") from None

    def money(self, parent: dict, key: str) -> Money | None:
        el = self.obj(parent, key)
        if el is None:
            return None
        currency = self.required(el, "currencyCode")
        if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
            raise self.fail(f"{key}.currencyCode {currency[:10]!r} is not an ISO 4217 code")
        raw = el.get("amount")
        if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
            raise self.fail(f"{key}.amount is missing or not a decimal string")
        try:
            amount = parse_amount(str(raw))
        except ValueError:
            raise self.fail(f"{key}.amount {str(raw)[:24]!r} is not a sane amount") from None
        self.currencies.add(currency.upper())
        if len(self.currencies) > 1:
            raise self.fail(
                "amounts in more than one currency (" + ", ".join(sorted(self.currencies)) + ")"
            )
        return Money(amount, currency.upper())


def parse_amount(text: str) -> Decimal:
    """An RFC 7159 number → a finite Decimal below 10^12 with at most 10 decimals
    (values.parse_decimal's bounds); raises ValueError."""
    if len(text) > 40 or not _NUMBER.fullmatch(text):
        raise ValueError(text)
    amount = values.parse_decimal(text, name="amount")
    if amount.is_zero():
        return Decimal(0)
    exponent = amount.as_tuple().exponent
    return amount.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else amount


def parse_datetime(value: str, *, name: str = "date") -> datetime:
    """ISO 8601 date-time → aware UTC (``Z`` or an offset; none means UTC), in 1995–2100
    (values.parse_datetime); raises ValueError."""
    if len(value) > 40 or not _DATE_TIME.match(value):
        raise ValueError(value)
    return values.parse_datetime(value, name=name)


def load_json(body: bytes, *, request_id: str | None, what: str) -> dict[str, Any]:
    """The answer as a dict; JSON numbers become exact Decimals, NaN / Infinity are refused."""
    reader = Reader(request_id, what)

    def refuse(constant: str) -> Any:
        raise ValueError(constant)

    try:
        try:
            data = json.loads(body, parse_float=Decimal, parse_constant=refuse)
        except RecursionError:
            # Only the order holding the too-deep value becomes unreadable (see flatten_deep).
            data = json.loads(
                flatten_deep(body.decode()), parse_float=Decimal, parse_constant=refuse
            )
    except json.JSONDecodeError as exc:
        if json_error_at_end(exc.doc, exc.pos):  # the document ended early: cut in transit
            raise CutShortError(what, request_id=request_id) from None
        raise reader.fail("not JSON") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise reader.fail("not JSON") from None
    if not isinstance(data, dict):
        raise reader.fail("not a JSON object")
    return data
