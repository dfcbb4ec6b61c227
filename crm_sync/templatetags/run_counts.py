"""A run's counts in the user's words, as the Schedules page and the dashboard show them:
"312 orders processed so far · 300 created · 12 updated" while it runs, "1,500 orders ·
1,488 created · 12 updated" after."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


def _n(value: int) -> str:
    return intcomma(int(value or 0))


@register.filter
def run_counts(run) -> str:
    """The counters after the order count ("· 300 created · 12 updated · 2 failed"); zero
    parts other than created and updated are left out."""
    parts = [f"{_n(run.orders_created)} created", f"{_n(run.orders_updated)} updated"]
    if run.records_failed:
        parts.append(f"{_n(run.records_failed)} failed")
    return " · ".join(parts)


@register.filter
def run_summary(run) -> str:
    """A finished run's one-line summary next to its badge; empty when it did nothing."""
    if not (run.orders_fetched or run.orders_created or run.orders_updated or run.records_failed):
        return ""
    orders = f"{_n(run.orders_fetched)} order{'s' if run.orders_fetched != 1 else ''}"
    return f"{orders} · {run_counts(run)}"
