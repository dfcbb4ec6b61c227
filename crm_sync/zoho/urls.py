"""Zoho CRM connect URLs. Included at the site root: ``path("", include("crm_sync.zoho.urls"))``."""

from django.urls import path

from crm_sync.zoho import views

app_name = "zoho"

urlpatterns = [
    path("orgs/<id:tenant_id>/zoho/connect", views.zoho_connect, name="connect"),
    path(
        "orgs/<id:tenant_id>/zoho/history-modules", views.zoho_history_setup, name="history_setup"
    ),
    # The one redirect URI registered with Zoho for every tenant (settings.ZOHO_REDIRECT_URI).
    path("zoho/callback", views.zoho_callback, name="callback"),
]
