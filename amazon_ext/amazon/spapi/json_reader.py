"""Reading SP-API JSON answers (Orders v0 and the other v0-style APIs): typed lookups that
name where a bad value was, with the values read by amazon_ext.amazon.values (the rules MWS
uses too), and the JSON itself, whose too-deep values make one order unreadable, not the
whole page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from amazon_ext.amazon import values
from amazon_ext.amazon.complete import CutShortError, json_error_at_end
from amazon_ext.amazon.errors import AmazonResponseError
from amazon_ext.amazon.types import Money

T = TypeVar("T")


class JsonReader:
    """Typed lookups that fail with a message naming where the bad value was; the values
    themselves are read by amazon_ext.amazon.values (the rules MWS uses too)."""

    def __init__(self, request_id: str | None, what: str) -> None:
        self.request_id = request_id
        self.what = what

    def fail(self, detail: str) -> AmazonResponseError:
        error = AmazonResponseError(
            f"Amazon's {self.what} answer could not be read ({detail}); nothing from it was saved.",
            code="MalformedResponse",
            request_id=self.request_id,
        )
        error.detail = detail  # what an order quarantined for it records
        return error

    def obj(self, parent: dict, key: str) -> dict | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, dict) or TOO_DEEP in value:
            raise self.fail(f"{key} is {not_what(value, 'an object')}")
        return value

    def text(self, parent: dict, key: str) -> str | None:
        value = parent.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(f"{key} is {not_what(value, 'a string')}")
        return str(value)

    def check(self, value: str | None, check: Callable[..., T], key: str) -> T | None:
        """``check(value, name=key)`` (an amazon_ext.amazon.values checker) or None."""
        return None if value is None else self._read(check, value, key)

    def required(self, parent: dict, key: str, where: str) -> str:
        value = self.text(parent, key)
        if value is None:
            raise self.fail(f"{key} missing in {where}")
        return value

    def _read(self, read: Callable[..., T], text: str, key: str) -> T:
        try:
            return read(text, name=key)
        except values.UnreadableValueError as exc:
            raise self.fail(str(exc)) from None

    def integer(self, parent: dict, key: str) -> int | None:
        value = parent.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(f"{key} {values.quote(value, 40)} is not a whole number")
        return self._read(values.parse_count, str(value), key)

    def flag(self, parent: dict, key: str) -> bool:
        """JSON booleans, and the strings "true"/"false" (``IsGift`` is a string)."""
        value = parent.get(key)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        if not isinstance(value, str):
            raise self.fail(f"{key} {values.quote(value, 40)} is not true or false")
        return self._read(values.parse_flag, value, key)

    def when(self, parent: dict, key: str, where: str, *, required: bool) -> datetime | None:
        value = self.required(parent, key, where) if required else self.text(parent, key)
        if value is None:
            return None
        return self._read(parse_datetime, value, key)

    def money(self, parent: dict, key: str) -> Money | None:
        el = self.obj(parent, key)
        if not el:
            return None
        currency = self.required(el, "CurrencyCode", key)
        amount = self.required(el, "Amount", key)
        try:
            return values.parse_money(amount, currency, name=key)
        except values.UnreadableValueError as exc:
            raise self.fail(str(exc)) from None


# A value nested deeper than this is replaced by {TOO_DEEP: true} before decoding: Python's
# decoder would raise RecursionError for the whole page, and only the order holding it is
# unreadable. No Amazon answer nests more than about ten levels.
MAX_JSON_DEPTH = 64
TOO_DEEP = "\u0000nested too deeply"


def not_what(value: object, expected: str) -> str:
    """Why a value is refused; only called on the error path."""
    if _holds_too_deep(value):
        return f"nested more than {MAX_JSON_DEPTH} levels deep"
    return f"not {expected}"


def _holds_too_deep(value: object, depth: int = 0) -> bool:
    if depth > MAX_JSON_DEPTH + 1:
        return False
    if isinstance(value, dict):
        return TOO_DEEP in value or any(_holds_too_deep(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_holds_too_deep(v, depth + 1) for v in value)
    return False


def flatten_deep(body: str, limit: int = MAX_JSON_DEPTH) -> str:
    """``body`` with every array or object that opens deeper than ``limit`` replaced by a
    marker object; strings are copied untouched (brackets inside them do not count)."""
    marker = json.dumps({TOO_DEEP: True})
    out: list[str] = []
    depth = 0
    skip_from = 0  # depth at which the part being skipped opened; 0: not skipping
    in_string = escaped = False
    start = 0  # first character not yet copied
    for index, char in enumerate(body):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit and not skip_from:
                out.append(body[start:index])
                skip_from = depth
        elif char in "]}":
            if skip_from and depth == skip_from:
                out.append(marker)
                start = index + 1
                skip_from = 0
            depth -= 1
    out.append(body[start:] if not skip_from else "")
    return "".join(out)


# Amazon's own static sandbox answers carry 1970-01-19 dates (epoch milliseconds printed as
# seconds); real orders are far later, but a date that early is not garbage, only early.
EARLIEST_YEAR = 1970


def parse_datetime(value: str, *, name: str = "date") -> datetime:
    """ISO 8601 → aware UTC (``Z`` or an offset; no offset means UTC). Amazon's static
    sandbox also echoes epoch seconds such as ``1.569521782042E9``; those are read too.
    1970–2100; raises :class:`amazon_ext.amazon.values.UnreadableValueError` (a ValueError)."""
    return values.parse_datetime(value, name=name, epoch_seconds=True, earliest_year=EARLIEST_YEAR)


def load_json(body: bytes, *, request_id: str | None, what: str) -> dict[str, Any]:
    """The JSON object of an answer. Values nested past :data:`MAX_JSON_DEPTH` become a
    marker the readers refuse, so they make one order unreadable, not the page."""
    reader = JsonReader(request_id, what)
    try:
        data = json.loads(body)
    except RecursionError:
        try:
            data = json.loads(flatten_deep(body.decode()))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise reader.fail("not JSON") from None
    except json.JSONDecodeError as exc:
        if json_error_at_end(exc.doc, exc.pos):
            raise CutShortError(what, request_id=request_id) from None
        raise reader.fail("not JSON") from None
    except (ValueError, UnicodeDecodeError):
        raise reader.fail("not JSON") from None
    if not isinstance(data, dict):
        raise reader.fail("not a JSON object")
    return data
