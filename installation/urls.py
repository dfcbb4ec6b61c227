"""Organisation picker, install wizard, Settings and Uninstall."""

from django.urls import path

from installation import views

app_name = "installation"

urlpatterns = [
    path("orgs/new/", views.organisation_create, name="organisation_create"),
    path("orgs/<int:tenant_id>/", views.tenant_home, name="tenant_home"),
    path("orgs/<int:tenant_id>/install/", views.install_terms, name="install_terms"),
    path("orgs/<int:tenant_id>/install/users/", views.install_users, name="install_users"),
    path(
        "orgs/<int:tenant_id>/install/settings/",
        views.install_credentials,
        name="install_credentials",
    ),
    path("orgs/<int:tenant_id>/install/zoho/", views.install_zoho, name="install_zoho"),
    path("orgs/<int:tenant_id>/settings/", views.settings_page, name="settings"),
    path(
        "orgs/<int:tenant_id>/settings/credentials/",
        views.settings_credentials,
        name="settings_credentials",
    ),
    path(
        "orgs/<int:tenant_id>/amazon/authorize",
        views.amazon_authorize,
        name="amazon_authorize",
    ),
    # The one redirect URI registered with the SP-API app for every tenant.
    path("amazon/callback", views.amazon_callback, name="amazon_callback"),
    path("orgs/<int:tenant_id>/uninstall/", views.uninstall, name="uninstall"),
]
