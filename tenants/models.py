"""Tenants: one organisation's installation of the extension, and who may use it.

The bottom of the app stack: every other app's rows hang off ``Tenant``; this app imports no
other app of ours.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    """Accept IANA names only (``Europe/Berlin``), so schedules can be computed in the zone."""
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone such as Europe/Berlin.")


class InstallScope(models.TextChoices):
    """Who may use the extension: the manual's "Choose Users/ Profiles" (section 1.1)."""

    ADMINS_ONLY = "admins", "Install for admins only"
    ALL_USERS = "all", "Install for all users"
    CHOSEN_PROFILES = "profiles", "Choose profiles"


ADMINISTRATOR_PROFILE = "Administrator"


class Tenant(models.Model):
    """One organisation's installation of the extension. Every other row hangs off it."""

    name = models.CharField("organisation name", max_length=200, help_text="e.g. Acme Outdoor Ltd")
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA time zone the schedules run in, e.g. America/Los_Angeles",
    )
    install_scope = models.CharField(
        max_length=16,
        choices=InstallScope.choices,
        default=InstallScope.ADMINS_ONLY,
        help_text="Who may use the extension (manual 1.1, 'Choose Users/Profiles')",
    )
    allowed_profiles = models.JSONField(
        default=list,
        blank=True,
        help_text='Profile names allowed when the scope is "Choose profiles", e.g. ["Sales"]',
    )
    super_admin_email = models.EmailField(
        blank=True, help_text="The CRM's super administrator; receives run emails by default"
    )
    notification_emails = models.JSONField(
        default=list,
        blank=True,
        help_text="Who receives run emails; empty means the super administrator",
    )
    mute_no_orders_emails = models.BooleanField(
        default=False,
        # In the table too: code at an older migration state inserts tenants without it.
        db_default=False,
        help_text="Send no email after a run that found no new orders (failures still email)",
    )
    terms_accepted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When an administrator agreed to the Terms of Service (install step 1)",
    )
    installed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the extension was installed; empty while the install wizard is unfinished",
    )
    created_at = models.DateTimeField(
        auto_now_add=True, help_text="When the organisation was added here"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_installed(self) -> bool:
        return self.installed_at is not None

    def email_recipients(self) -> list[str]:
        return list(self.notification_emails) or (
            [self.super_admin_email] if self.super_admin_email else []
        )


class Membership(models.Model):
    """A user's place in a tenant, with the Zoho-style profile that install scope checks."""

    tenant = models.ForeignKey(
        Tenant,
        on_delete=models.CASCADE,
        related_name="memberships",
        help_text="The organisation this user belongs to",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        help_text="The person signing in, e.g. the CRM's super administrator",
    )
    profile = models.CharField(
        max_length=100,
        default="Standard",
        help_text='"Administrator", "Standard" or a custom profile name such as "Sales"',
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="one_membership_per_tenant")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.profile})"

    @property
    def is_administrator(self) -> bool:
        return self.profile == ADMINISTRATOR_PROFILE


class SignInLock(models.Model):
    """Failed sign-ins per username, and the lock they lead to (Amazon's Data Protection
    Policy: lock an account after 10 failed logins). Kept by username, not user, so guessing
    at a name that does not exist is slowed down the same way."""

    username = models.CharField(
        max_length=150, unique=True, help_text="The name typed at sign-in, e.g. acme-admin"
    )
    failures = models.PositiveIntegerField(
        default=0, help_text="Failed sign-ins since the last successful one or the last lock"
    )
    locked_until = models.DateTimeField(
        null=True, blank=True, help_text="No sign-in with this name is accepted before this time"
    )
    updated_at = models.DateTimeField(auto_now=True, help_text="The last failure or unlock")

    def __str__(self) -> str:
        return f"{self.username}: {self.failures} failed"
