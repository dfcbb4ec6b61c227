"""Schedules: the page, the status switch, Run Now and the progress fragment."""

from django.urls import path

from crm_sync import views

app_name = "crm_sync"

urlpatterns = [
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
]
