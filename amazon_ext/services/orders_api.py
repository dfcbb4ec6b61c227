"""Remembering which Orders API a tenant's marketplace accepts.

A marketplace that refuses Orders v2026-01-01 (403 on searchOrders while v0 works) is noted
on the credentials, so the next runs start on v0 instead of spending a refused call each
time; after settings.AMAZON_ORDERS_V2026_RETRY_DAYS the client tries v2026 again, and a
success clears the note (amazon_ext/amazon/spapi/orders_choice.py).
"""

from __future__ import annotations

from django.utils import timezone

from amazon_ext.models import AmazonCredentials

MAX_REASON = 300


def credentials_remember_v2026(*, credentials_id: int, refused: str | None) -> None:
    """``refused``: what Amazon said (v2026 refused now), or None (v2026 works)."""
    rows = AmazonCredentials.objects.filter(pk=credentials_id)
    if refused is None:
        rows.exclude(orders_v2026_refused_at=None).update(
            orders_v2026_refused_at=None, orders_v2026_refused_reason=""
        )
        return
    rows.update(
        orders_v2026_refused_at=timezone.now(), orders_v2026_refused_reason=refused[:MAX_REASON]
    )
