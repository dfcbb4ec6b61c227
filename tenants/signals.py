"""Sign-in outcomes feed the lockout (tenants.signin)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from tenants.signin import signin_failed, signin_succeeded


@receiver(user_login_failed, dispatch_uid="tenants.signin_failed")
def _count_failure(sender, credentials, request=None, **kwargs) -> None:
    signin_failed(credentials.get("username"))


@receiver(user_logged_in, dispatch_uid="tenants.signin_succeeded")
def _clear_failures(sender, request, user, **kwargs) -> None:
    signin_succeeded(user.get_username())
