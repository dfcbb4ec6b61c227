"""Amazon's scalar values (amounts, currencies, dates, counts, flags, addresses) → typed
values, for both the MWS XML and the SP-API JSON parsers.

Why strict: an order's money and dates go straight into the CRM and drive the sync watermark.
A value Amazon could never mean — ``inf``, ``NaN``, ``1e999999999``, a purchase date in the
year 20178 or 1e300 seconds after 1970 — is a garbled answer, not data: it raises
:class:`UnreadableValueError` and the parser turns that into an ``AmazonResponseError`` naming the
value, so nothing from the page is written.

Bounds: amounts are finite Decimals with |amount| < 10^12 and at most 10 decimals
(:data:`MAX_AMOUNT`, :data:`MAX_DECIMALS`); dates lie in 1995–2100 (Amazon's first order was
in 1995); counts are whole numbers 0–10^7. Any upstream text quoted in a message is cut to
:data:`QUOTE_LIMIT` characters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote

from amazon_ext.amazon.marketplaces import MARKETPLACES
from amazon_ext.amazon.types import Address, Money

QUOTE_LIMIT = 200
MAX_TEXT_NUMBER = 64  # characters; no real amount or count is longer
MAX_AMOUNT_DIGITS = 12
MAX_AMOUNT = Decimal(10) ** MAX_AMOUNT_DIGITS
MAX_DECIMALS = 10
MAX_COUNT = 10_000_000
EARLIEST_YEAR = 1995
LATEST_YEAR = 2100
_LATEST = datetime(LATEST_YEAR, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
_EARLIEST = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
# Plain decimal notation with an optional exponent; Decimal() alone would also take
# "Infinity", "sNaN", "1_000", " 5 " and other forms Amazon never sends.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_COUNT = re.compile(r"[+]?[0-9]{1,9}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")

# Address attribute → the element / key name Amazon uses (same in MWS and SP-API v0).
ADDRESS_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("line1", "AddressLine1"),
    ("line2", "AddressLine2"),
    ("line3", "AddressLine3"),
    ("city", "City"),
    ("state_or_region", "StateOrRegion"),
    ("postal_code", "PostalCode"),
    ("country_code", "CountryCode"),
    ("phone", "Phone"),
)


# Amazon's OrderStatus enum (MWS Orders 2013-09-01 and SP-API Orders v0 ``OrderStatus``).
ORDER_STATUSES = frozenset(
    {
        "PendingAvailability",
        "Pending",
        "Unshipped",
        "PartiallyShipped",
        "Shipped",
        "InvoiceUnconfirmed",
        "Canceled",
        "Unfulfillable",
    }
)
# 3-7-7: "113-1234567-1234567"; the first group may carry letters (multi-channel "S01-…").
_ORDER_ID = re.compile(r"[0-9A-Z]{3}-[0-9]{7}-[0-9]{7}")
# A status Amazon adds later still looks like one; anything else is garbage, not a status.
_STATUS_WORD = re.compile(r"[A-Za-z][A-Za-z_]{0,31}")


class UnreadableValueError(ValueError):
    """A value Amazon sent that cannot be what it claims to be; ``str()`` says which, briefly."""


def clip(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Upstream text (Amazon's own error message) cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr`` of an upstream value for an error message, cut to ``limit`` characters: a
    hostile answer must not turn our error messages (and logs, emails) into its payload."""
    return clip(repr(value if isinstance(value, str) else str(value)), limit)


def parse_decimal(text: str, *, name: str) -> Decimal:
    """A finite amount with |amount| < 10^12 and at most 10 decimals."""
    if len(text) > MAX_TEXT_NUMBER or not _NUMBER.fullmatch(text):
        raise UnreadableValueError(f"{name} {quote(text, 40)} is not a number")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise UnreadableValueError(f"{name} {quote(text, 40)} is not a number") from None
    # adjusted() needs no arithmetic context: abs(Decimal("1e999999999")) would overflow.
    if not amount.is_finite() or (amount and amount.adjusted() >= MAX_AMOUNT_DIGITS):
        raise UnreadableValueError(f"{name} {quote(text, 40)} is out of range")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMALS:
        raise UnreadableValueError(f"{name} {quote(text, 40)} has too many decimals")
    return amount


# Amounts read before, by (amount, currency) text: prices repeat across a sync's orders and
# items, and Money is immutable. Only readable ones are kept (a refusal names its field);
# emptied when full, so a hostile answer's distinct values cannot grow it.
_READ_MONEY: dict[tuple[str, str], Money] = {}
_READ_MONEY_LIMIT = 4096


def parse_money(amount: str, currency: str, *, name: str) -> Money:
    """An amount in an ISO 4217 currency (three letters, upper-cased)."""
    known = _READ_MONEY.get((amount, currency))
    if known is not None:
        return known
    value = parse_decimal(amount, name=f"{name}/Amount")
    if not _CURRENCY.fullmatch(currency):
        raise UnreadableValueError(
            f"{name}/CurrencyCode {quote(currency, 20)} is not an ISO 4217 code"
        )
    money = Money(value, currency.upper())
    if len(_READ_MONEY) >= _READ_MONEY_LIMIT:
        _READ_MONEY.clear()
    _READ_MONEY[(amount, currency)] = money
    return money


def parse_count(text: str, *, name: str) -> int:
    """A whole number 0–10^7 (quantities, item counts)."""
    value = text.strip()
    if not _COUNT.fullmatch(value) or int(value) > MAX_COUNT:
        raise UnreadableValueError(f"{name} {quote(text, 40)} is not a whole number of items")
    return int(value)


def parse_flag(text: str, *, name: str) -> bool:
    """``true`` / ``false`` in any case."""
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise UnreadableValueError(f"{name} {quote(text, 40)} is not true or false")
    return lowered == "true"


def parse_datetime(
    text: str,
    *,
    name: str = "date",
    epoch_seconds: bool = False,
    earliest_year: int = EARLIEST_YEAR,
) -> datetime:
    """ISO 8601 → aware UTC: ``Z`` or an offset, fractional seconds, the percent-encoded
    colons of Amazon's MWS doc samples; no offset means UTC. With ``epoch_seconds`` also
    seconds since 1970 such as ``1.569521782042E9`` (Amazon's SP-API static sandbox echoes
    those). The result must lie in ``earliest_year``–2100."""
    earliest = (
        _EARLIEST if earliest_year == EARLIEST_YEAR else datetime(earliest_year, 1, 1, tzinfo=UTC)
    )
    value = unquote(text) if "%" in text else text
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        seconds = _epoch_seconds(value) if epoch_seconds else None
        if seconds is None:
            raise UnreadableValueError(f"{name} {quote(text, 40)} is not a date") from None
        # "1e300" is a float and "1e9999" overflows to inf: neither is a day in any calendar.
        if not math.isfinite(seconds) or not earliest.timestamp() <= seconds <= _LATEST.timestamp():
            raise _outside(text, name, earliest_year) from None
        parsed = datetime.fromtimestamp(seconds, UTC)
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if not earliest <= parsed <= _LATEST:
        raise _outside(text, name, earliest_year)
    return parsed


def _outside(text: str, name: str, earliest_year: int) -> UnreadableValueError:
    return UnreadableValueError(
        f"{name} {quote(text, 40)} is outside {earliest_year}–{LATEST_YEAR}"
    )


def _epoch_seconds(value: str) -> float | None:
    if len(value) > MAX_TEXT_NUMBER or not _NUMBER.fullmatch(value):
        return None
    return float(value)


def check_order_id(text: str, *, name: str = "AmazonOrderId") -> str:
    """An Amazon order id of the documented 3-7-7 shape, e.g. ``113-1234567-1234567``."""
    if not _ORDER_ID.fullmatch(text):
        raise UnreadableValueError(f"{name} {quote(text, 40)} is not an Amazon order id (3-7-7)")
    return text


def check_marketplace_id(text: str | None, *, name: str = "MarketplaceId") -> str | None:
    """None, or one of Amazon's marketplace ids (amazon_ext.amazon.marketplaces)."""
    if text is not None and text not in MARKETPLACES:
        raise UnreadableValueError(f"{name} {quote(text, 40)} is not an Amazon marketplace")
    return text


def check_order_status(text: str, *, name: str = "OrderStatus") -> str:
    """A status word. One outside Amazon's enum (:data:`ORDER_STATUSES`) is kept as Amazon
    sent it (the CRM shows it, history flags it, nothing guesses what it means); a value
    that is not even a word is unreadable."""
    if not _STATUS_WORD.fullmatch(text):
        raise UnreadableValueError(f"{name} {quote(text, 40)} is not an order status")
    return text


def is_known_status(status: str) -> bool:
    """Is ``status`` one of Amazon's documented order statuses?"""
    return status in ORDER_STATUSES


def parse_address(text: Callable[[str], str | None]) -> Address:
    """An :class:`Address` from ``text(amazon_name)`` (element or key lookup of the
    parser); missing parts stay None, as Amazon withholds them."""
    return Address(**{attr: text(amazon) for attr, amazon in ADDRESS_FIELDS})


def iso_z(when: datetime) -> str:
    """An aware datetime as UTC ISO 8601 with ``Z``, milliseconds kept (floored) when there
    are any: what both MWS and SP-API accept (SP-API rejects offsets such as +09:00, spec
    §7.5)."""
    if when.tzinfo is None:
        raise ValueError("Amazon dates must be aware datetimes (UTC)")
    when = when.astimezone(UTC)
    millis = when.microsecond // 1000
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"
