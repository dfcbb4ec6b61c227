"""What the SP-API handlers (Orders v0, Orders v2026-01-01, Tokens) share: the error they
raise and the query-value readers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from werkzeug.wrappers import Request

ZULU_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


class SpError(Exception):
    """An SP-API error answer: HTTP ``status`` and one ``{"code", "message"}`` entry.
    ``rate_header=False`` leaves ``x-amzn-RateLimit-Limit`` off (403, 429)."""

    def __init__(
        self, status: int, code: str, message: str, *, rate_header: bool = True, details: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.rate_header = rate_header
        self.details = details


def invalid(message: str, details: str = "") -> SpError:
    return SpError(400, "InvalidInput", message, details=details)


def csv_values(request: Request, name: str) -> list[str]:
    """A Swagger 2 ``csv`` array parameter; repeating the parameter adds values too."""
    out: list[str] = []
    for raw in request.args.getlist(name):
        out.extend(v.strip() for v in raw.split(",") if v.strip())
    return out


def parse_zulu(name: str, value: str) -> datetime:
    """An ISO 8601 date-time in UTC with the ``Z`` suffix, else 400 InvalidInput."""
    if not ZULU_RE.match(value):
        raise invalid(
            f"Invalid {name}: {value}. Dates must be ISO 8601 in UTC with the Z suffix, "
            "for example 2024-01-01T00:00:00Z.",
            name,
        )
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        raise invalid(f"Invalid {name}: {value}", name) from None
