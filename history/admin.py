"""Read-only admin for Amazon Sync History and Order History (a million rows per tenant:
no full counts, exact-match search on the indexed order id, raw id widgets)."""

from django.contrib import admin

from history.models import OrderEvent, SyncRun


class _ReadOnly(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SyncRun)
class SyncRunAdmin(_ReadOnly):
    list_display = [
        "id",
        "tenant",
        "schedule",
        "trigger",
        "started_at",
        "finished_at",
        "outcome",
        "orders_fetched",
        "orders_created",
        "orders_updated",
        "records_failed",
    ]
    list_filter = ["outcome", "schedule", "trigger"]
    search_fields = ["tenant__name", "=lease_owner"]
    date_hierarchy = "started_at"
    list_select_related = ["tenant"]
    raw_id_fields = ["tenant", "triggered_by"]


@admin.register(OrderEvent)
class OrderEventAdmin(_ReadOnly):
    list_display = [
        "amazon_order_id",
        "tenant",
        "action",
        "old_status",
        "new_status",
        "zoho_record_id",
        "run",
        "created_at",
    ]
    list_filter = ["action"]
    search_fields = ["=amazon_order_id"]
    list_select_related = ["tenant", "run"]
    raw_id_fields = ["tenant", "run"]
