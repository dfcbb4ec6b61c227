"""Search criteria and a minimal COQL (spec §2 "Search" and "COQL")."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .store import Module

TEXT_TYPES = {"text", "textarea", "email", "phone", "website", "picklist", "autonumber"}


class QueryError(Exception):
    def __init__(self, code: str, message: str, details: dict) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def _field_value(rec: dict, name: str) -> Any:
    if "." in name:
        head, _, tail = name.partition(".")
        inner = rec.get(head)
        return inner.get(tail) if isinstance(inner, dict) else None
    value = rec.get(name)
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    return value


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(a: Any, b: Any) -> int | None:
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    if a is None or b is None:
        return None
    sa, sb = str(a).lower(), str(b).lower()
    return (sa > sb) - (sa < sb)


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    na, nb = _num(a), _num(b)
    if na is not None and nb is not None:
        return na == nb
    if a is None or b is None:
        return a is None and b is None
    return str(a).strip().lower() == str(b).strip().lower()


# ---- search criteria ------------------------------------------------------------------------
@dataclass
class Cond:
    field: str
    op: str
    value: str


def _split_unescaped(text: str, sep: str, maxsplit: int = -1) -> list[str]:
    parts, buf, i, splits = [], [], 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep and (maxsplit < 0 or splits < maxsplit):
            parts.append("".join(buf))
            buf = []
            splits += 1
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


class CriteriaParser:
    """``((A:equals:x)and(B:starts_with:y))`` → nested ('and'|'or', [...]) / Cond tree."""

    OPS = {
        "equals",
        "not_equal",
        "starts_with",
        "in",
        "greater_than",
        "greater_equal",
        "less_than",
        "less_equal",
        "between",
    }

    def __init__(self, text: str) -> None:
        self.s = text.strip()
        self.i = 0
        self.count = 0

    def fail(self) -> QueryError:
        return QueryError("INVALID_QUERY", "invalid query formed", {"reason": "invalid criteria"})

    def parse(self) -> Any:
        node = self.expr()
        if self.i != len(self.s):
            raise self.fail()
        if self.count > 10:
            raise QueryError("LIMIT_EXCEEDED", "criteria limit exceeded", {"limit": 10})
        return node

    def expr(self) -> Any:
        nodes = [self.group()]
        joins = []
        for _ in range(len(self.s)):
            rest = self.s[self.i :].lower()
            if rest.startswith("and"):
                joins.append("and")
                self.i += 3
            elif rest.startswith("or"):
                joins.append("or")
                self.i += 2
            else:
                break
            nodes.append(self.group())
        if not joins:
            return nodes[0]
        if len(set(joins)) > 1:
            # Mixed and/or without brackets: evaluate 'and' before 'or'.
            groups, current = [], [nodes[0]]
            for join, node in zip(joins, nodes[1:], strict=True):
                if join == "and":
                    current.append(node)
                else:
                    groups.append(("and", current))
                    current = [node]
            groups.append(("and", current))
            return ("or", groups)
        return (joins[0], nodes)

    def group(self) -> Any:
        if self.i >= len(self.s) or self.s[self.i] != "(":
            raise self.fail()
        self.i += 1
        if self.i < len(self.s) and self.s[self.i] == "(":
            node = self.expr()
            if self.i >= len(self.s) or self.s[self.i] != ")":
                raise self.fail()
            self.i += 1
            return node
        start = self.i
        for _ in range(len(self.s)):
            if self.i >= len(self.s):
                raise self.fail()
            ch = self.s[self.i]
            if ch == "\\":
                self.i += 2
                continue
            if ch == ")":
                break
            self.i += 1
        raw = self.s[start : self.i]
        self.i += 1
        parts = _split_unescaped(raw, ":", 2)
        if len(parts) != 3 or parts[1].lower() not in self.OPS or not parts[0]:
            raise self.fail()
        self.count += 1
        return Cond(parts[0].strip(), parts[1].lower(), parts[2])


def criteria_predicate(module: Module, text: str) -> Callable[[dict], bool]:
    tree = CriteriaParser(text).parse()

    def check_fields(node: Any) -> None:
        if isinstance(node, Cond):
            base = node.field.split(".")[0]
            if base != "id" and base not in module.fields:
                raise QueryError(
                    "INVALID_QUERY",
                    "invalid query formed",
                    {"api_name": node.field, "reason": "invalid field"},
                )
        else:
            for child in node[1]:
                check_fields(child)

    check_fields(tree)

    def ev_cond(c: Cond, rec: dict) -> bool:
        actual = rec.get("id") if c.field == "id" else _field_value(rec, c.field)
        f = module.fields.get(c.field.split(".")[0])
        textual = f is not None and f.data_type in TEXT_TYPES and "." not in c.field
        values = [_unescape(v) for v in _split_unescaped(c.value, ",")]
        value = _unescape(c.value)
        if c.op == "equals":
            if textual:
                # Spec §2: equals on text fields behaves like "contains".
                return actual is not None and value.lower() in str(actual).lower()
            return _eq(actual, value)
        if c.op == "not_equal":
            return not _eq(actual, value)
        if c.op == "starts_with":
            return actual is not None and str(actual).lower().startswith(value.lower())
        if c.op == "in":
            return any(_eq(actual, v) for v in values)
        if c.op == "between":
            if len(values) != 2:
                raise QueryError("INVALID_QUERY", "invalid query formed", {"reason": "between"})
            lo, hi = _compare(actual, values[0]), _compare(actual, values[1])
            return lo is not None and hi is not None and lo >= 0 and hi <= 0
        cmp = _compare(actual, value)
        if cmp is None:
            return False
        return {
            "greater_than": cmp > 0,
            "greater_equal": cmp >= 0,
            "less_than": cmp < 0,
            "less_equal": cmp <= 0,
        }[c.op]

    def ev(node: Any, rec: dict) -> bool:
        if isinstance(node, Cond):
            return ev_cond(node, rec)
        op, children = node
        if op == "and":
            return all(ev(ch, rec) for ch in children)
        return any(ev(ch, rec) for ch in children)

    return lambda rec: ev(tree, rec)


# ---- COQL -----------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>!=|<>|>=|<=|=|>|<)"
    r"|(?P<punct>[(),*])|(?P<ident>[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)?))"
)
KEYWORDS = {
    "select", "from", "where", "and", "or", "in", "not", "like", "is", "null", "limit",
    "offset", "order", "by", "asc", "desc", "between", "true", "false",
}  # fmt: skip


def _tokens(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    pos = 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError("SYNTAX_ERROR", "syntax error", {"near": text[pos : pos + 10].strip()})
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "str":
            value = value[1:-1].replace("''", "'")
            value = re.sub(r"\\(.)", r"\1", value)
        elif kind == "num":
            value = float(value) if "." in value else int(value)
        elif kind == "ident" and value.lower() in KEYWORDS:
            kind, value = "kw", value.lower()
        out.append((kind, value))
    return out


@dataclass
class Coql:
    fields: list[str]
    module: str
    where: Any
    order_by: list[tuple[str, bool]]
    limit: int
    offset: int


class CoqlParser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.criteria = 0

    def peek(self) -> tuple[str, Any]:
        return self.toks[self.i] if self.i < len(self.toks) else ("end", None)

    def near(self) -> QueryError:
        kind, value = self.peek()
        return QueryError(
            "SYNTAX_ERROR", "syntax error", {"near": str(value) if kind != "end" else "end"}
        )

    def take(self, kind: str, value: Any = None) -> Any:
        k, v = self.peek()
        if k != kind or (value is not None and v != value):
            raise self.near()
        self.i += 1
        return v

    def accept(self, kind: str, value: Any = None) -> bool:
        k, v = self.peek()
        if k == kind and (value is None or v == value):
            self.i += 1
            return True
        return False

    def parse(self) -> Coql:
        self.take("kw", "select")
        fields = [self.take("ident")]
        while self.accept("punct", ","):
            fields.append(self.take("ident"))
        self.take("kw", "from")
        module = self.take("ident")
        where = None
        if self.accept("kw", "where"):
            where = self.or_expr()
        order_by: list[tuple[str, bool]] = []
        if self.accept("kw", "order"):
            self.take("kw", "by")
            for _ in range(50):
                name = self.take("ident")
                desc = False
                if self.accept("kw", "desc"):
                    desc = True
                else:
                    self.accept("kw", "asc")
                order_by.append((name, desc))
                if not self.accept("punct", ","):
                    break
        limit, offset = 200, 0
        if self.accept("kw", "limit"):
            first = self.take("num")
            if self.accept("punct", ","):
                offset, limit = first, self.take("num")
            else:
                limit = first
                if self.accept("kw", "offset"):
                    offset = self.take("num")
        if self.peek()[0] != "end":
            raise self.near()
        if len(fields) > 50:
            raise QueryError("LIMIT_EXCEEDED", "select fields limit exceeded", {"limit": 50})
        if self.criteria > 25:
            raise QueryError("LIMIT_EXCEEDED", "where criteria limit exceeded", {"limit": 25})
        if not isinstance(limit, int) or not 1 <= limit <= 2000:
            raise QueryError("LIMIT_EXCEEDED", "limit exceeded", {"limit": 2000, "param": "limit"})
        if not isinstance(offset, int) or not 0 <= offset <= 100_000:
            raise QueryError(
                "LIMIT_EXCEEDED", "offset exceeded", {"limit": 100_000, "param": "offset"}
            )
        return Coql(fields, module, where, order_by, limit, offset)

    def or_expr(self) -> Any:
        nodes = [self.and_expr()]
        while self.accept("kw", "or"):
            nodes.append(self.and_expr())
        return nodes[0] if len(nodes) == 1 else ("or", nodes)

    def and_expr(self) -> Any:
        nodes = [self.atom()]
        while self.accept("kw", "and"):
            nodes.append(self.atom())
        return nodes[0] if len(nodes) == 1 else ("and", nodes)

    def value(self) -> Any:
        kind, v = self.peek()
        if kind in ("str", "num"):
            self.i += 1
            return v
        if kind == "kw" and v in ("true", "false"):
            self.i += 1
            return v == "true"
        raise self.near()

    def atom(self) -> Any:
        if self.accept("punct", "("):
            node = self.or_expr()
            self.take("punct", ")")
            return node
        name = self.take("ident")
        self.criteria += 1
        negate = self.accept("kw", "not")
        if self.accept("kw", "in"):
            self.take("punct", "(")
            values = [self.value()]
            while self.accept("punct", ","):
                values.append(self.value())
            self.take("punct", ")")
            if len(values) > 50:
                raise QueryError("LIMIT_EXCEEDED", "in values limit exceeded", {"limit": 50})
            return ("cmp", name, "not in" if negate else "in", values)
        if self.accept("kw", "like"):
            return ("cmp", name, "not like" if negate else "like", self.value())
        if self.accept("kw", "between"):
            lo = self.value()
            self.take("kw", "and")
            return ("cmp", name, "between", [lo, self.value()])
        if negate:
            raise self.near()
        if self.accept("kw", "is"):
            neg = self.accept("kw", "not")
            self.take("kw", "null")
            return ("cmp", name, "is not null" if neg else "is null", None)
        op = self.take("op")
        return ("cmp", name, "!=" if op == "<>" else op, self.value())


def coql_predicate(node: Any) -> Callable[[dict], bool]:
    def like(actual: Any, pattern: str) -> bool:
        if actual is None:
            return False
        rx = "^" + ".*".join(re.escape(p) for p in str(pattern).split("%")) + "$"
        return re.match(rx, str(actual), re.IGNORECASE | re.DOTALL) is not None

    def ev(n: Any, rec: dict) -> bool:
        if n[0] == "and":
            return all(ev(c, rec) for c in n[1])
        if n[0] == "or":
            return any(ev(c, rec) for c in n[1])
        _, name, op, value = n
        actual = rec.get("id") if name == "id" else _field_value(rec, name)
        if op == "=":
            return _eq(actual, value)
        if op == "!=":
            return not _eq(actual, value)
        if op == "in":
            return any(_eq(actual, v) for v in value)
        if op == "not in":
            return not any(_eq(actual, v) for v in value)
        if op == "like":
            return like(actual, value)
        if op == "not like":
            return not like(actual, value)
        if op == "is null":
            return actual in (None, "", [])
        if op == "is not null":
            return actual not in (None, "", [])
        if op == "between":
            lo, hi = _compare(actual, value[0]), _compare(actual, value[1])
            return lo is not None and hi is not None and lo >= 0 and hi <= 0
        cmp = _compare(actual, value)
        if cmp is None:
            return False
        return {">": cmp > 0, ">=": cmp >= 0, "<": cmp < 0, "<=": cmp <= 0}[op]

    return lambda rec: ev(node, rec)


def coql_fields(node: Any) -> list[str]:
    if node is None:
        return []
    if node[0] in ("and", "or"):
        return [f for c in node[1] for f in coql_fields(c)]
    return [node[1]]


def coql_candidates(module: Module, node: Any) -> list[str] | None:
    """Ids that can possibly match, using the unique/duplicate-check indexes; None = scan."""
    if node is None:
        return None
    if node[0] == "cmp":
        _, name, op, value = node
        if name == "id" and op in ("=", "in"):
            values = value if op == "in" else [value]
            return [str(v) for v in values if str(v) in module.records]
        if name in module.index and op in ("=", "in"):
            values = value if op == "in" else [value]
            out: list[str] = []
            for v in values:
                for rid in module.find(name, v):
                    if rid not in out:
                        out.append(rid)
            return out
        return None
    if node[0] == "and":
        for child in node[1]:
            ids = coql_candidates(module, child)
            if ids is not None:
                return ids
    return None
