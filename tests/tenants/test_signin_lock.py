"""Ten failed sign-ins lock the name (Amazon's Data Protection Policy); the page says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.models import SignInLock
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture
def user(db):
    user = UserFactory(username="acme-admin", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(client, password: str, path: str = "/accounts/login/"):
    return client.post(path, {"username": "acme-admin", "password": password})


def test_ten_failures_lock_the_account_even_for_the_right_password(client, user):
    for _ in range(10):
        assert _sign_in(client, "wrong").status_code == 200
    resp = _sign_in(client, PASSWORD)
    assert resp.status_code == 200  # not signed in
    assert "locked after 10 failed sign-ins" in resp.content.decode()
    assert "_auth_user_id" not in client.session
    # The admin's own sign-in form obeys the same lock.
    assert _sign_in(client, PASSWORD, "/admin/login/").status_code == 200
    assert "_auth_user_id" not in client.session


def test_nine_failures_then_success_clears_the_count(client, user):
    for _ in range(9):
        _sign_in(client, "wrong")
    assert _sign_in(client, PASSWORD).status_code == 302
    assert not SignInLock.objects.filter(username="acme-admin").exists()


def test_the_lock_ends_after_its_time(client, user):
    for _ in range(10):
        _sign_in(client, "wrong")
    SignInLock.objects.filter(username="acme-admin").update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert _sign_in(client, PASSWORD).status_code == 302


def test_attempts_during_a_lock_do_not_extend_it(client, user):
    for _ in range(10):
        _sign_in(client, "wrong")
    until = SignInLock.objects.get(username="acme-admin").locked_until
    for _ in range(5):
        _sign_in(client, "wrong")
    assert SignInLock.objects.get(username="acme-admin").locked_until == until


def test_pages_carry_a_content_security_policy_without_unsafe_inline(client, db):
    resp = client.get("/accounts/login/")
    policy = resp["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
