"""Who may open which page: members only (404 otherwise), administrators for changes,
the install scope for everyone else (403 with the reason)."""

from __future__ import annotations

import pytest

from tenants.models import InstallScope

pytestmark = pytest.mark.django_db

READ_PAGES = ["/orgs/{id}/schedules/", "/orgs/{id}/history/", "/orgs/{id}/history/orders/"]
ADMIN_PAGES = ["/orgs/{id}/settings/", "/orgs/{id}/uninstall/", "/orgs/{id}/install/settings/"]
ADMIN_POSTS = [
    "/orgs/{id}/schedules/sync_amazon_record/run/",
    "/orgs/{id}/schedules/sync_amazon_record/status/",
    "/orgs/{id}/uninstall/",
    "/orgs/{id}/settings/credentials/",
]


@pytest.mark.parametrize("url", READ_PAGES + ADMIN_PAGES)
def test_anonymous_is_sent_to_sign_in(client, installed, url):
    resp = client.get(url.format(id=installed.id))
    assert resp.status_code == 302
    assert resp["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", READ_PAGES + ADMIN_PAGES)
def test_another_tenants_admin_gets_404(client, installed, other_admin, url):
    client.force_login(other_admin)
    resp = client.get(url.format(id=installed.id))
    assert resp.status_code == 404
    assert installed.name not in resp.content.decode()


@pytest.mark.parametrize("url", ADMIN_POSTS)
def test_another_tenants_admin_cannot_post(client, installed, other_admin, url):
    client.force_login(other_admin)
    assert client.post(url.format(id=installed.id)).status_code == 404


@pytest.mark.parametrize("url", READ_PAGES)
def test_standard_user_under_admins_only_is_refused_with_the_reason(
    client, installed, standard_user, url
):
    assert installed.install_scope == InstallScope.ADMINS_ONLY
    client.force_login(standard_user)
    resp = client.get(url.format(id=installed.id))
    assert resp.status_code == 403
    html = resp.content.decode()
    assert "not installed for your profile (Standard)" in html
    assert "Ask an administrator" in html


def test_standard_user_under_all_users_reads_but_cannot_change(client, installed, standard_user):
    installed.install_scope = InstallScope.ALL_USERS
    installed.save()
    client.force_login(standard_user)
    for url in READ_PAGES:
        assert client.get(url.format(id=installed.id)).status_code == 200
    for url in ADMIN_PAGES:
        assert client.get(url.format(id=installed.id)).status_code == 403
    for url in ADMIN_POSTS:
        assert client.post(url.format(id=installed.id)).status_code == 403
    html = client.get(f"/orgs/{installed.id}/schedules/").content.decode()
    assert "run-now" not in html  # no buttons the user cannot use
    assert "/settings/" not in html


def test_landing_lists_only_the_users_organisations(client, installed, other_tenant, admin_user):
    client.force_login(admin_user)
    html = client.get("/").content.decode()
    assert installed.name in html
    assert other_tenant.name not in html


def test_sign_in_page_and_login(client, admin_user):
    resp = client.get("/accounts/login/")
    assert resp.status_code == 200
    assert 'name="username"' in resp.content.decode()
    resp = client.post(
        "/accounts/login/", {"username": "acme-admin", "password": "correct-horse-9"}
    )
    assert resp.status_code == 302
    assert resp["Location"] == "/"
