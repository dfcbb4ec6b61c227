"""What one run of the pipeline carries: its clients, the org's field names, what failed,
and the counters each checkpoint adds to Amazon Sync History."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import F
from django.utils import timezone

from crm_sync.sources import FailedOrder
from history.models import SyncRun

if TYPE_CHECKING:
    from amazon_ext.amazon.base import AmazonOrdersClient
    from crm_sync.zoho.client import ZohoClient


@dataclass
class Counts:
    """Increments to a run's counters; a checkpoint saves them with its batch."""

    orders_fetched: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    products_created: int = 0
    products_updated: int = 0
    contacts_created: int = 0
    contacts_updated: int = 0
    records_failed: int = 0

    def save_to(self, run_id: int) -> None:
        """Add to the run's counters (called inside a checkpoint transaction)."""
        increments = {name: F(name) + value for name, value in vars(self).items() if value}
        SyncRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now(), **increments)


@dataclass
class SyncJob:
    """Everything one run needs. ``amazon`` and ``zoho`` are already-authenticated clients;
    ``names`` is ZohoConnection.field_api_names. ``failures`` are the run's user-facing
    lines; ``failed_orders`` the orders behind them, for the source to hold its cursor."""

    run: SyncRun
    amazon: AmazonOrdersClient
    zoho: ZohoClient
    names: dict
    heartbeat: Callable[[], None] = lambda: None
    failures: list[str] = field(default_factory=list)
    failed_orders: list[FailedOrder] = field(default_factory=list)
    uncertain_at: float = 0.0  # time.monotonic() when the latest uncertain write ended

    @property
    def tenant_id(self) -> int:
        return self.run.tenant_id
