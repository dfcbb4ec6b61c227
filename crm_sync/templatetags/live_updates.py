"""``{% live_updates_panel tenant %}``: the live-updates section of the Schedules page."""

from __future__ import annotations

from django import template

from crm_sync.services.live_status import live_updates_status

register = template.Library()


@register.inclusion_tag("crm_sync/_live_updates.html")
def live_updates_panel(tenant) -> dict:
    return {"tenant": tenant, "live": live_updates_status(tenant_id=tenant.pk)}
