"""Schedules: the page, the status switch, Run Now and the progress fragment."""

from django.urls import path

from crm_sync import views, views_backfill, views_live

app_name = "crm_sync"

urlpatterns = [
    path("orgs/<id:tenant_id>/backfill/", views_backfill.backfill_page, name="backfill"),
    path(
        "orgs/<id:tenant_id>/backfill/setup/", views_backfill.backfill_setup, name="backfill_setup"
    ),
    path(
        "orgs/<id:tenant_id>/backfill/<id:backfill_id>/<slug:action>/",
        views_backfill.backfill_action,
        name="backfill_action",
    ),
    path("orgs/<id:tenant_id>/previews/", views_backfill.preview_start, name="preview_start"),
    path(
        "orgs/<id:tenant_id>/previews/<id:preview_id>/",
        views_backfill.preview_page,
        name="preview",
    ),
    path("orgs/<id:tenant_id>/schedules/", views.schedules, name="schedules"),
    path(
        "orgs/<id:tenant_id>/schedules/progress/",
        views.schedules_progress,
        name="schedules_progress",
    ),
    path(
        "orgs/<id:tenant_id>/schedules/<slug:kind>/status/",
        views.schedule_status,
        name="schedule_status",
    ),
    path(
        "orgs/<id:tenant_id>/schedules/<slug:kind>/run/",
        views.schedule_run_now,
        name="schedule_run_now",
    ),
    path("orgs/<id:tenant_id>/runs/<id:run_id>/retry/", views.run_retry, name="run_retry"),
    path("orgs/<id:tenant_id>/runs/<id:run_id>/replay/", views.run_replay, name="run_replay"),
    path("orgs/<id:tenant_id>/orders/replay/", views.order_replay, name="order_replay"),
    path(
        "orgs/<id:tenant_id>/live-updates/",
        views_live.live_updates_switch,
        name="live_updates_switch",
    ),
]
