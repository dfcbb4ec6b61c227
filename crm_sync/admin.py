"""Operator admin for the Zoho connection, schedules, Run Now slots and record links.
Tokens show masked and are never editable here: reconnecting happens in the product."""

from django.contrib import admin

from crm_sync.models import (
    AmazonOrderState,
    ManualRunSlot,
    SyncCursor,
    TenantSchedule,
    ZohoConnection,
    ZohoLink,
)


@admin.register(ZohoConnection)
class ZohoConnectionAdmin(admin.ModelAdmin):
    list_display = ["tenant", "status", "org_name", "location", "edition", "connected_at"]
    list_filter = ["status", "location", "edition"]
    search_fields = ["tenant__name", "org_name", "org_id"]
    exclude = ["refresh_token", "access_token"]
    readonly_fields = [
        "tenant",
        "masked_refresh_token",
        "masked_access_token",
        "access_token_expires_at",
        "accounts_server",
        "api_domain",
        "scope",
        "org_id",
        "org_name",
        "edition",
        "location",
        "field_api_names",
        "fields_ready_at",
        "credits_remaining",
        "connected_by",
        "connected_at",
        "updated_at",
    ]

    @admin.display(description="Zoho refresh token")
    def masked_refresh_token(self, obj: ZohoConnection) -> str:
        return obj.refresh_token.masked if obj.refresh_token else "—"

    @admin.display(description="Zoho access token")
    def masked_access_token(self, obj: ZohoConnection) -> str:
        return obj.access_token.masked if obj.access_token else "—"

    def has_add_permission(self, request) -> bool:
        return False  # connections come from the OAuth flow only


@admin.register(TenantSchedule)
class TenantScheduleAdmin(admin.ModelAdmin):
    list_display = ["tenant", "kind", "enabled", "next_run_at", "last_dispatched_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["tenant__name"]
    readonly_fields = ["tenant", "kind", "enabled", "next_run_at", "last_dispatched_at"]


@admin.register(ManualRunSlot)
class ManualRunSlotAdmin(admin.ModelAdmin):
    """Deleting a slot gives a Run Now back for that day (support's escape hatch)."""

    list_display = ["tenant", "schedule", "local_date", "slot", "used_by", "used_at"]
    list_filter = ["schedule", "local_date"]
    search_fields = ["tenant__name"]
    readonly_fields = ["tenant", "schedule", "local_date", "slot", "used_by", "used_at"]

    def has_add_permission(self, request) -> bool:
        return False


class _ReadOnly(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ZohoLink)
class ZohoLinkAdmin(_ReadOnly):
    list_display = ["tenant", "module", "amazon_key", "zoho_id", "updated_at"]
    list_filter = ["module"]
    search_fields = ["=amazon_key", "=zoho_id"]
    raw_id_fields = ["tenant"]


@admin.register(AmazonOrderState)
class AmazonOrderStateAdmin(_ReadOnly):
    list_display = ["tenant", "amazon_order_id", "order_status", "complete", "last_update_date"]
    list_filter = ["order_status", "complete"]
    search_fields = ["=amazon_order_id"]
    raw_id_fields = ["tenant"]


@admin.register(SyncCursor)
class SyncCursorAdmin(admin.ModelAdmin):
    """Editable on purpose: moving a watermark back re-reads a window (idempotently)."""

    list_display = ["tenant", "schedule", "marketplace_key", "watermark", "updated_at"]
    list_filter = ["schedule"]
    raw_id_fields = ["tenant"]
