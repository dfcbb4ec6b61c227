"""Every URL of the product. Organisation pages live under /orgs/<tenant id>/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from installation.views.home import healthz, home
from tenants.signin import LockAwareAuthenticationForm

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LockAwareAuthenticationForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("", home, name="home"),
    path("", include("installation.urls")),
    path("", include("crm_sync.urls")),
    path("", include("history.urls")),
    path("", include("crm_sync.zoho.urls")),
]
