"""``{{ run|quota_wait }}``: "waiting for Amazon's quota: next page in 2 min 40 s", or "";
``{{ run|progress }}``: how far a running run is (crm_sync.services.progress.RunProgress)."""

from __future__ import annotations

import math

from django import template
from django.utils import timezone

register = template.Library()


def wait_words(seconds: float) -> str:
    """2 min 40 s, 45 s, 1 h 5 min: the Schedules page refreshes every 2 s."""
    seconds = max(0, math.ceil(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


@register.filter
def quota_wait(run) -> str:
    until = getattr(run, "quota_wait_until", None)
    if until is None:
        return ""
    left = (until - timezone.now()).total_seconds()
    if left <= 0:
        return ""
    what = getattr(run, "quota_wait_for", "") or "next Amazon call"
    return f"waiting for Amazon's quota: {what} in {wait_words(left)}"


@register.filter
def progress(run):
    from crm_sync.services.progress import run_progress

    return run_progress(run)
