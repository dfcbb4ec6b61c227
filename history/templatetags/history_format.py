"""How run details read: durations as "39 s" / "2 min 5 s" / "1 h 3 min", and a run's API
calls as rows of a small table instead of the stored dict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django import template

register = template.Library()

SERVICES = {"amazon": "Amazon", "zoho": "Zoho CRM"}
# Totals stored beside the per-operation counts, in the user's words.
TOTALS = {
    "amazon_throttled": ("Amazon", "Throttled (answered 429, waited and retried)"),
    "zoho_writes": ("Zoho CRM", "Record writes (100 records a call)"),
}


@register.filter
def duration_words(value: timedelta | float | int | None) -> str:
    """``timedelta(seconds=39)`` → "39 s"; "" for no value."""
    if value is None or value == "":
        return ""
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class ApiCallRow:
    service: str
    operation: str
    calls: int


@register.filter
def api_call_rows(api_calls: dict | None) -> list[ApiCallRow]:
    """One row per service and operation (most calls first), then the stored totals."""
    rows: list[ApiCallRow] = []
    totals: list[ApiCallRow] = []
    for key, value in (api_calls or {}).items():
        if isinstance(value, dict):
            service = SERVICES.get(key, key.replace("_", " ").capitalize())
            ops = [(str(op), n) for op, n in value.items() if isinstance(n, int) and n]
            for op, n in sorted(ops, key=lambda item: (-item[1], item[0])):
                rows.append(ApiCallRow(service, op, n))
        elif isinstance(value, int) and not isinstance(value, bool) and value:
            service, label = TOTALS.get(key, ("", key.replace("_", " ").capitalize()))
            totals.append(ApiCallRow(service, label, value))
    return rows + totals
