"""Hostile or out-of-range input answers 400/404 or a form error, never a 500."""

from __future__ import annotations

import pytest

from history.models import SyncRun
from tests.web.conftest import make_runs


@pytest.fixture
def client_500s_raise(client):
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/orgs/99999999999999999999/",
        "/orgs/99999999999999999999/history/",
        "/orgs/99999999999999999999/settings/",
        "/orgs/99999999999999999999/schedules/",
        "/orgs/99999999999999999999/history/runs/1/",
        "/orgs/1/history/runs/99999999999999999999/",
    ],
)
def test_ids_beyond_the_database_range_are_404(admin_client, installed, path):
    admin_client.raise_request_exception = False
    assert admin_client.get(path).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"date_to": "9999-12-31"},
        {"date_from": "9999-12-31"},
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
    ],
)
def test_history_dates_at_the_calendar_edges(admin_client, installed, params):
    admin_client.raise_request_exception = False
    make_runs(installed, 2)
    resp = admin_client.get(f"/orgs/{installed.id}/history/", params)
    assert resp.status_code == 200


@pytest.mark.parametrize("after", ["²", "9" * 5000, "-1", "1e9", " 12"])
def test_run_detail_cursor_garbage_is_ignored(admin_client, installed, after):
    admin_client.raise_request_exception = False
    run = make_runs(installed, 1, events_per_run=3)[0]
    resp = admin_client.get(f"/orgs/{installed.id}/history/runs/{run.pk}/", {"after": after})
    assert resp.status_code == 200


def test_new_organisation_with_an_over_long_email_is_a_form_error(admin_client, installed):
    admin_client.raise_request_exception = False
    email = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"  # 313 characters, valid syntax
    resp = admin_client.post("/orgs/new/", {"name": "Long Mail Ltd", "super_admin_email": email})
    assert resp.status_code == 200
    assert "254" in resp.content.decode()
    assert not SyncRun.objects.exists()


def test_settings_save_when_the_stored_super_admin_email_is_invalid(admin_client, installed):
    admin_client.raise_request_exception = False
    type(installed).objects.filter(pk=installed.pk).update(super_admin_email="not an email")
    resp = admin_client.post(
        f"/orgs/{installed.id}/settings/",
        {"time_zone": "Europe/Berlin", "notification_emails": "", "install_scope": "all"},
    )
    assert resp.status_code == 302
    installed.refresh_from_db()
    assert installed.time_zone == "Europe/Berlin"


def test_time_zone_with_a_trailing_space_is_accepted(admin_client, installed):
    resp = admin_client.post(
        f"/orgs/{installed.id}/settings/",
        {"time_zone": "Europe/Berlin ", "notification_emails": "", "install_scope": "all"},
    )
    assert resp.status_code == 302
    installed.refresh_from_db()
    assert installed.time_zone == "Europe/Berlin"


def test_unknown_time_zone_says_what_a_time_zone_is(admin_client, installed):
    resp = admin_client.post(
        f"/orgs/{installed.id}/settings/",
        {"time_zone": "Mars/Olympus", "notification_emails": "", "install_scope": "all"},
    )
    assert "Mars/Olympus is not an IANA time zone such as Europe/Berlin." in resp.content.decode()
