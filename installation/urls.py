"""Organisation picker, install wizard, Settings and Uninstall."""

from django.urls import path

from installation.views import amazon_authorize, data_protection, home, settings, uninstall, wizard

app_name = "installation"

urlpatterns = [
    path("orgs/new/", home.organisation_create, name="organisation_create"),
    path("orgs/<id:tenant_id>/", home.tenant_home, name="tenant_home"),
    path("orgs/<id:tenant_id>/install/", wizard.install_terms, name="install_terms"),
    path("orgs/<id:tenant_id>/install/users/", wizard.install_users, name="install_users"),
    path(
        "orgs/<id:tenant_id>/install/settings/",
        wizard.install_credentials,
        name="install_credentials",
    ),
    path("orgs/<id:tenant_id>/install/zoho/", wizard.install_zoho, name="install_zoho"),
    path("orgs/<id:tenant_id>/settings/", settings.settings_page, name="settings"),
    path(
        "orgs/<id:tenant_id>/settings/credentials/",
        settings.settings_credentials,
        name="settings_credentials",
    ),
    path(
        "orgs/<id:tenant_id>/amazon/authorize",
        amazon_authorize.amazon_authorize,
        name="amazon_authorize",
    ),
    # The one redirect URI registered with the SP-API app for every tenant.
    path("amazon/callback", amazon_authorize.amazon_callback, name="amazon_callback"),
    path("orgs/<id:tenant_id>/uninstall/", uninstall.uninstall, name="uninstall"),
    path(
        "orgs/<id:tenant_id>/settings/live-updates",
        settings.settings_live_updates,
        name="settings_live_updates",
    ),
    path(
        "orgs/<id:tenant_id>/settings/test-email",
        settings.settings_test_email,
        name="settings_test_email",
    ),
    path(
        "orgs/<id:tenant_id>/data-protection/",
        data_protection.data_protection,
        name="data_protection",
    ),
]
