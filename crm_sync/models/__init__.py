"""crm_sync's models, one module per concept: the Zoho connection and links (zoho.py),
per-order state, cursors and staged records (orders.py), schedules and the Run Now quota
(schedules.py), backfill and preview (backfill.py), live updates (live.py), data protection
(data_protection.py) and history inside Zoho CRM (zoho_history.py). Every model is
importable as ``crm_sync.models.X``; moving one between these modules needs no migration.
"""

# ruff: noqa: F401  (re-exports)
from crm_sync.models.backfill import Backfill, BackfillChunk, SyncPreview
from crm_sync.models.data_protection import (
    BuyerDataHold,
    DataProtectionRun,
    DataProtectionSettings,
)
from crm_sync.models.live import LiveUpdates, NotificationDestination, NotificationReceipt
from crm_sync.models.orders import AmazonOrderState, StagedRecord, SyncCursor
from crm_sync.models.schedules import ManualRunSlot, TenantSchedule
from crm_sync.models.zoho import ZohoConnection, ZohoLink
from crm_sync.models.zoho_history import ZohoHistoryMirror, ZohoHistoryModules
from history.models import ScheduleKind  # crm_sync.models.ScheduleKind, as callers use it
