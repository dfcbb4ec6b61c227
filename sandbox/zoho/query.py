"""The part of Zoho's search criteria and COQL that the product's Zoho client uses.

Search: one ``(Field:equals:value)`` or ``(Field:starts_with:value)`` with Zoho's backslash
escapes; ``equals`` on a text field matches as "contains", as Zoho's search does.
COQL: ``select f1, f2 from Module [where F = 'v' [and G = 'w' …]] [limit [offset,] n]``;
``=`` is exact. Anything else is answered with Zoho's own error codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .store import Module

TEXT_TYPES = {"text", "textarea", "email", "phone", "website", "picklist", "autonumber"}

_CRITERION = re.compile(
    r"^\((?P<field>\w+):(?P<op>equals|starts_with):(?P<value>(?:\\.|[^\\])*)\)$"
)
_SELECT = re.compile(
    r"^\s*select\s+(?P<fields>.+?)\s+from\s+(?P<module>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+limit\s+(?:(?P<offset>\d+)\s*,\s*)?(?P<limit>\d+))?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_EQUALS = re.compile(r"^\s*(?P<field>[\w.]+)\s*=\s*'(?P<value>(?:\\.|[^'\\])*)'\s*$")


class QueryError(Exception):
    def __init__(self, code: str, message: str, details: dict) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def _text(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return "" if value is None else str(value)


def criteria_predicate(module: Module, text: str) -> Callable[[dict], bool]:
    """The predicate of one search criterion on ``module``."""
    m = _CRITERION.match(text.strip())
    if m is None:
        raise QueryError("INVALID_QUERY", "invalid query formed", {"reason": "invalid criteria"})
    name, op = m["field"], m["op"]
    value = re.sub(r"\\(.)", r"\1", m["value"]).lower()
    meta = module.fields.get(name)
    if meta is None and name != "id":
        raise QueryError(
            "INVALID_QUERY", "invalid query formed", {"api_name": name, "reason": "invalid field"}
        )
    contains = op == "equals" and meta is not None and meta.data_type in TEXT_TYPES
    if contains:
        return lambda r: value in _text(r.get(name)).lower()
    if op == "starts_with":
        return lambda r: _text(r.get(name)).lower().startswith(value)
    return lambda r: _text(r.get(name)).lower() == value


@dataclass
class Coql:
    module: str
    fields: list[str]
    where: list[tuple[str, str]] = field(default_factory=list)
    offset: int = 0
    limit: int = 200


def parse_coql(text: str) -> Coql:
    """Parse the supported ``select``; ``SYNTAX_ERROR`` otherwise (Zoho's code)."""
    m = _SELECT.match(text)
    fields = [f.strip() for f in (m["fields"].split(",") if m else [])]
    if m is None or not all(re.fullmatch(r"[\w.]+", f) for f in fields):
        raise QueryError("SYNTAX_ERROR", "error occured while parsing the query", {})
    where = []
    if m["where"]:
        for part in re.split(r"\s+and\s+", m["where"], flags=re.IGNORECASE):
            cond = _EQUALS.match(part)
            if cond is None:
                raise QueryError("SYNTAX_ERROR", "error occured while parsing the query", {})
            where.append((cond["field"], re.sub(r"\\(.)", r"\1", cond["value"])))
    limit = int(m["limit"]) if m["limit"] else 200
    if not 1 <= limit <= 2000:
        raise QueryError("LIMIT_EXCEEDED", "limit exceeded", {"limit": 2000})
    return Coql(m["module"], fields, where, int(m["offset"] or 0), limit)


def coql_rows(module: Module, query: Coql) -> list[dict]:
    """The records matching ``query.where`` (exact, case-sensitive as Zoho's COQL ``=``)."""
    return [r for r in module.records.values() if all(_text(r.get(f)) == v for f, v in query.where)]
