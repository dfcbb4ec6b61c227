"""Run Now's allowance across a time zone change.

Slots are counted per tenant-local day (ManualRunSlot.local_date). Moving the zone can move
"today" to another date — west across midnight, or east into tomorrow — where no slot is
used, which handed out two fresh Run Nows. So the day's used slots follow the zone: the new
"today" gets at least as many used slots as the old one had. The old day's rows stay (going
back to the old zone the same day finds them again).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm_sync.models import ManualRunSlot
from tenants.models import Tenant


@transaction.atomic
def run_now_allowance_follow_zone(
    *, tenant: Tenant, old_zone: str, now: datetime | None = None
) -> int:
    """After ``tenant.time_zone`` changed from ``old_zone``: carry today's used Run Now slots
    to the new zone's today. Returns how many slot rows were added."""
    now = now or timezone.now()
    old_today = now.astimezone(ZoneInfo(old_zone)).date()
    new_today = now.astimezone(ZoneInfo(tenant.time_zone)).date()
    if old_today == new_today:
        return 0
    added = 0
    used = ManualRunSlot.objects.filter(tenant=tenant, local_date=old_today)
    for slot in used.order_by("schedule", "slot"):
        try:
            with transaction.atomic():
                _, created = ManualRunSlot.objects.get_or_create(
                    tenant=tenant,
                    schedule=slot.schedule,
                    local_date=new_today,
                    slot=slot.slot,
                    defaults={"used_by": slot.used_by},
                )
        except IntegrityError:  # a click on the new day took it meanwhile: it is used
            continue
        added += created
    return added
