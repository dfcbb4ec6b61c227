"""Amazon Sync History and Order History."""

from django.urls import path

from history import views

app_name = "history"

urlpatterns = [
    path("orgs/<id:tenant_id>/history/", views.dashboard, name="dashboard"),
    path("orgs/<id:tenant_id>/history/runs/<id:run_id>/", views.run_detail, name="run_detail"),
    path("orgs/<id:tenant_id>/history/orders/", views.order_history, name="order_history"),
]
