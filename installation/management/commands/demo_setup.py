"""``manage.py demo_setup``: a demo organisation installed with the Amazon stand-in's seller
and connected to the Zoho stand-in, for ``scripts/demo``.

Idempotent: the stand-ins keep their data in memory and start empty, so each run replaces the
demo organisation with a fresh one under the same id (bookmarks such as /orgs/1/schedules/ keep
working; the sign-in stays the same) and connects it again through the real OAuth flow: the
consent POST a person would make on the stand-in's page. It ends by printing the stand-in
seller's credentials, so a second organisation can be installed by hand.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from amazon_ext.services.credentials import credentials_save
from amazon_ext.services.verification import credentials_verify_with_amazon
from amazon_ext.validation import CredentialsInvalidError
from tenants.access import tenants_for_user
from tenants.services import tenant_create

DEMO_ORG = "Demo Outdoor Co"


class Command(BaseCommand):
    help = "Create (or re-create) the demo organisation, installed and connected to the stand-ins."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="demo-password")
        parser.add_argument("--org", default=DEMO_ORG)
        parser.add_argument("--time-zone", default="America/Los_Angeles")
        parser.add_argument("--zoho-admin-email", default="admin@demo.example")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--amazon-url", default=settings.AMAZON_MWS_ENDPOINT_OVERRIDE)
        parser.add_argument("--zoho-accounts-url", default=settings.ZOHO_ACCOUNTS_URL)
        parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for both")

    def handle(self, *args, **opts):
        from installation.services.install import tenant_install, tenant_uninstall
        from sandbox.amazon.standin import demo_seller

        for url in (opts["amazon_url"], opts["zoho_accounts_url"]):
            self._wait_for(url, opts["wait"])
        user = self._user(opts["username"], opts["password"], opts["zoho_admin_email"])
        keep_id = None
        for old in tenants_for_user(user=user):
            if old.name == opts["org"]:
                keep_id = keep_id or old.pk
                tenant_uninstall(tenant=old)  # the stand-ins forgot it; start clean
        with transaction.atomic():
            tenant = self._tenant(opts, user, keep_id)
            tenant_install(tenant=tenant, user=user, install_scope="admins")
        seller = demo_seller()
        data = {
            "access_key": seller.access_key,
            "seller_id": seller.seller_id,
            "secret_key": seller.secret_key,
            "mws_auth_token": seller.mws_auth_token,
        }
        for pos, marketplace_id in enumerate(seller.marketplace_ids, 1):
            data[f"marketplace_id_{pos}"] = marketplace_id
        try:
            credentials_save(tenant=tenant, data=data, verify=credentials_verify_with_amazon)
        except CredentialsInvalidError as exc:
            raise CommandError(f"The Amazon stand-in refused the demo seller: {exc}") from None
        connection = self._connect_zoho(tenant, user, opts["zoho_admin_email"])

        base = opts["base_url"].rstrip("/")
        zoho_api = connection.api_domain.rstrip("/")
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Demo ready.",
                    f"  Open        {base}/",
                    f"  Sign in     {opts['username']} / {opts['password']}",
                    f"  Schedules   {base}/orgs/{tenant.id}/schedules/   (press Run Now)",
                    f"  History     {base}/orgs/{tenant.id}/history/",
                    f"  Admin       {base}/admin/   (same sign-in)",
                    f"  Zoho CRM stand-in records   {zoho_api}/_sandbox/",
                    f"  Amazon stand-in             {opts['amazon_url'].rstrip('/')}/_sandbox/",
                    f"  Organisation: {tenant.name} (id {tenant.pk}), Zoho org "
                    f"{connection.org_name} ({connection.org_id}), Amazon seller "
                    f"{seller.seller_id}",
                    "",
                    "To install a second organisation by hand (Your organisations → Add), use",
                    "the Amazon stand-in seller's credentials:",
                    f"  Seller ID            {seller.seller_id}",
                    f"  Marketplace IDs      {', '.join(seller.marketplace_ids)}",
                    "  Selling Partner API:",
                    f"    LWA client id      {seller.lwa_client_id}",
                    f"    LWA client secret  {seller.lwa_client_secret}",
                    f"    LWA refresh token  {seller.refresh_token}",
                    "    (or press Authorize with Amazon: the stand-in's consent page)",
                    "  Amazon MWS:",
                    f"    AWS Access Key     {seller.access_key}",
                    f"    Secret Key         {seller.secret_key}",
                    f"    MWS Auth Token     {seller.mws_auth_token}",
                    f"  Zoho CRM: Connect Zoho CRM and consent as {opts['zoho_admin_email']}",
                    "  (stand-in secrets only: nothing here works against Amazon or Zoho)",
                    "",
                ]
            )
        )

    def _tenant(self, opts, user, keep_id: int | None):
        """The demo organisation, under its earlier id when there was one."""
        from tenants.models import Tenant
        from tenants.services import membership_add

        if keep_id is None or Tenant.objects.filter(pk=keep_id).exists():
            return tenant_create(
                name=opts["org"],
                time_zone=opts["time_zone"],
                super_admin_email=opts["zoho_admin_email"],
                admin_user=user,
            )
        tenant = Tenant(
            pk=keep_id,
            name=opts["org"],
            time_zone=opts["time_zone"],
            super_admin_email=opts["zoho_admin_email"],
        )
        tenant.full_clean()
        tenant.save(force_insert=True)
        membership_add(tenant=tenant, user=user, profile="Administrator")
        return tenant

    def _wait_for(self, url: str, seconds: float) -> None:
        if not url:
            raise CommandError("Set AMAZON_MWS_ENDPOINT_OVERRIDE and ZOHO_ACCOUNTS_URL.")
        deadline = time.monotonic() + seconds
        while True:
            try:
                requests.get(url, timeout=2)
                return
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"Nothing answers at {url}; is the stand-in running?"
                    ) from None
                time.sleep(0.3)

    def _user(self, username: str, password: str, email: str):
        users = get_user_model()
        user = users.objects.filter(username=username).first() or users(username=username)
        user.email = email
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return user

    def _connect_zoho(self, tenant, user, admin_email: str):
        """The browser's part of Zoho's OAuth flow, done with requests."""
        from crm_sync.zoho.services import connect_finish, connect_start

        session = SessionStore()
        authorize = urlsplit(connect_start(tenant=tenant, user=user, session=session))
        form = dict(parse_qsl(authorize.query, keep_blank_values=True))
        form.update({"user_email": admin_email, "approve": "1"})
        consent = requests.post(
            f"{authorize.scheme}://{authorize.netloc}{authorize.path}",
            data=form,
            allow_redirects=False,
            timeout=10,
        )
        if consent.status_code != 302:
            raise CommandError(f"The Zoho stand-in's consent page said {consent.status_code}.")
        params = dict(parse_qsl(urlsplit(consent.headers["Location"]).query))
        result = connect_finish(user=user, session=session, params=params)
        for problem in result.problems:
            self.stderr.write(f"Zoho: {problem}")
        return result.connection
