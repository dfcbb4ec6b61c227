"""Amazon Sync History and Order History."""

from django.urls import path

from history import views, views_export

app_name = "history"

urlpatterns = [
    path("orgs/<id:tenant_id>/history/", views.dashboard, name="dashboard"),
    path("orgs/<id:tenant_id>/history/runs/<id:run_id>/", views.run_detail, name="run_detail"),
    path("orgs/<id:tenant_id>/history/orders/", views.order_history, name="order_history"),
    path("orgs/<id:tenant_id>/history/runs.csv", views_export.runs_export, name="runs_export"),
    path(
        "orgs/<id:tenant_id>/history/orders.csv",
        views_export.order_history_export,
        name="order_history_export",
    ),
]
