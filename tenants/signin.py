"""Locking an account after repeated failed sign-ins.

Ten failures in a row lock the username for SIGNIN_LOCK_MINUTES (Amazon's Data Protection
Policy asks for a lock after 10 failed logins). The lock is enforced by the authentication
backend, so every sign-in form (the product's and the admin's) obeys it, and explained by
the sign-in form. A successful sign-in clears the count.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tenants.models import SignInLock

MAX_FAILURES = 10


def _key(username: str | None) -> str:
    return (username or "").strip().lower()[:150]


def signin_locked_until(username: str | None):
    """When the lock on this username ends, or None if it may sign in now."""
    lock = SignInLock.objects.filter(username=_key(username)).only("locked_until").first()
    if lock and lock.locked_until and lock.locked_until > timezone.now():
        return lock.locked_until
    return None


@transaction.atomic
def signin_failed(username: str | None) -> None:
    """Count a failure; the tenth in a row locks the name."""
    key = _key(username)
    if not key:
        return
    lock, _ = SignInLock.objects.select_for_update().get_or_create(username=key)
    now = timezone.now()
    if lock.locked_until and lock.locked_until > now:
        return  # attempts during a lock do not extend it
    SignInLock.objects.filter(pk=lock.pk).update(failures=F("failures") + 1)
    lock.refresh_from_db()
    if lock.failures >= MAX_FAILURES:
        lock.failures = 0
        lock.locked_until = now + timedelta(minutes=settings.SIGNIN_LOCK_MINUTES)
        lock.save(update_fields=["failures", "locked_until", "updated_at"])


def signin_succeeded(username: str | None) -> None:
    SignInLock.objects.filter(username=_key(username)).delete()


class LockingModelBackend(ModelBackend):
    """Django's backend, refusing names that are locked (before the password is checked)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if signin_locked_until(username or kwargs.get("email")):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LockAwareAuthenticationForm(AuthenticationForm):
    """The sign-in form, saying plainly when and why a name is locked."""

    def clean(self):
        until = signin_locked_until(self.data.get("username"))
        if until:
            minutes = max(1, round((until - timezone.now()).total_seconds() / 60))
            raise ValidationError(
                f"This account is locked after {MAX_FAILURES} failed sign-ins. Try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}, or ask an administrator.",
                code="locked",
            )
        return super().clean()
