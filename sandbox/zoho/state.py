"""What the Zoho stand-in knows: clients, tokens, orgs and their records, limits, faults, stats.

The Accounts and CRM API apps receive a :class:`ZohoState`; the stand-in (servers) is built
on top of it, so the apps never import the stand-in.

Token/DC policy: tokens are DC-specific. An access token presented to another DC's API host is
unknown there → 401 ``INVALID_TOKEN`` (each DC has its own token store). A CRM API call sent to
an *accounts* host (the wrong host) → 400 ``INVALID_HOST``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable

from sandbox.common.clock import SandboxClock
from sandbox.common.faults import FaultInjector

from . import schema
from .limits import Credits, Gate, ZohoStats
from .oauth import OAuthState
from .store import Org, SandboxOrg, User


class ZohoState:
    def __init__(
        self,
        *,
        token_ttl_seconds: int = 3600,
        refresh_limit_per_10_min: int = 10,
        concurrency_limit: int | None = None,
        sub_concurrency_limit: int | None = 10,
        daily_credits: int | None = None,
        dcs: tuple[str, ...] = ("com", "eu"),
        code_limit_per_10_min: int | None = 10,
    ) -> None:
        if "com" not in dcs:
            raise ValueError("the 'com' (US) data centre is required")
        self.clock = SandboxClock()
        self.oauth = OAuthState(
            self.clock,
            token_ttl_seconds=token_ttl_seconds,
            refresh_limit_per_10_min=refresh_limit_per_10_min,
            code_limit_per_10_min=code_limit_per_10_min,
        )
        self.stats = ZohoStats(self.oauth)
        self.faults = FaultInjector(default_delay=1.0, kinds=("slow", "disconnect", "late", "lost"))
        self.concurrency_limit = concurrency_limit
        self.sub_concurrency_limit = sub_concurrency_limit
        self.daily_credits = daily_credits
        self.dcs = tuple(dcs)
        self.dc_urls: dict[str, tuple[str, str]] = {}
        self._orgs: dict[str, Org] = {}
        self._aliases: dict[str, str] = {}  # crm_id -> org_id
        self._users: dict[str, tuple[Org, User]] = {}  # lower email -> (org, user)
        self._lock = threading.RLock()

    # ---- setup ----------------------------------------------------------------------------
    def register_client(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: Iterable[str],
        *,
        dcs: tuple[str, ...] | None = None,
    ) -> None:
        """``dcs=None``: multi-DC enabled (known at every DC); else unknown elsewhere."""
        self.oauth.register_client(client_id, client_secret, list(redirect_uris), dcs)

    def create_org(
        self,
        *,
        dc: str = "com",
        edition: str = "enterprise",
        company_name: str,
        admin_email: str,
        admin_name: str = "Super Admin",
        time_zone: str = "America/Los_Angeles",
        extra_users: Iterable[dict] = (),
        legacy_field_names: bool = False,
        second_admin: bool = True,
        currency: str | None = None,
        currencies: dict | None = None,
    ) -> SandboxOrg:
        """``currencies`` (ISO → rate per unit of the home ``currency``) makes a
        multi-currency org (sandbox.zoho.currencies)."""
        if dc not in self.dcs:
            raise ValueError(f"unknown dc {dc!r}; this stand-in serves {self.dcs}")
        org = Org(
            dc=dc,
            edition=edition,
            company_name=company_name,
            time_zone=time_zone,
            clock=self.clock,
            legacy_field_names=legacy_field_names,
            currency=currency or ("EUR" if dc == "eu" else "USD"),
        )
        people: list[dict] = [
            {
                "email": admin_email,
                "full_name": admin_name,
                "profile": "Administrator",
                "role": "CEO",
            }
        ]
        if second_admin:
            domain = admin_email.partition("@")[2]
            people.append(
                {
                    "email": f"ops.admin@{domain or 'example.com'}",
                    "full_name": "Operations Admin",
                    "profile": "Administrator",
                    "role": "Manager",
                }
            )
        people += [dict(u) for u in extra_users]
        with self._lock:
            for person in people:
                email = person["email"]
                if email.lower() in self._users:
                    raise ValueError(f"user {email} already exists in this stand-in")
            created = []
            for person in people:
                user = org.add_user(
                    person["email"],
                    person.get("full_name") or person.get("name") or person["email"].split("@")[0],
                    profile=person.get("profile", "Standard"),
                    role=person.get("role", "Manager"),
                    status=person.get("status", "active"),
                )
                created.append(user)
                self._users[user.email.lower()] = (org, user)
            org.primary_zuid = created[0].zuid
            if currencies:
                from . import currencies as multi_currency

                multi_currency.enable(org, currencies)
            org.gate = Gate(self.concurrency_limit or schema.CONCURRENCY[edition])
            org.sub_gate = Gate(self.sub_concurrency_limit or 10**6)
            org.credits = Credits(self.clock, self.daily_credits or self._edition_credits(org))
            self._orgs[org.org_id] = org
            self._aliases[org.crm_id] = org.org_id
        return self._summary(org)

    @staticmethod
    def _edition_credits(org: Org) -> int:
        base, per_user, ceiling = schema.CREDITS[org.edition]
        total = base + per_user * len(org.users)
        return min(total, ceiling) if ceiling else total

    def _summary(self, org: Org) -> SandboxOrg:
        return SandboxOrg(
            org_id=org.org_id,
            crm_id=org.crm_id,
            zgid=org.zgid,
            dc=org.dc,
            edition=org.edition,
            company_name=org.company_name,
            primary_zuid=org.primary_zuid,
            admin_email=org.primary_user.email,
            users=[u.as_json(org) for u in org.users.values()],
            modules=list(org.modules),
            org=org,
        )

    # ---- lookups --------------------------------------------------------------------------
    def org(self, org_id: str) -> Org | None:
        with self._lock:
            org_id = self._aliases.get(org_id, org_id)
            return self._orgs.get(org_id)

    def _org_or_raise(self, org_id: str) -> Org:
        org = self.org(str(org_id))
        if org is None:
            raise KeyError(f"unknown org {org_id}")
        return org

    def all_orgs(self) -> list[Org]:
        with self._lock:
            return list(self._orgs.values())

    def user_by_email(self, email: str) -> tuple[Org, User] | None:
        with self._lock:
            return self._users.get(email.strip().lower())

    def org_summary(self, org: Org) -> dict:
        accounts_url, api_url = self.dc_urls.get(org.dc, ("", ""))
        return {
            "org_id": org.org_id,
            "crm_id": org.crm_id,
            "zgid": org.zgid,
            "dc": org.dc,
            "edition": org.edition,
            "company_name": org.company_name,
            "primary_zuid": org.primary_zuid,
            "admin_email": org.primary_user.email,
            "accounts_url": accounts_url,
            "api_url": api_url,
            "modules": list(org.modules),
            "users": [u.as_json(org) for u in org.users.values()],
            "record_counts": {name: len(m.records) for name, m in org.modules.items()},
            "credits_used": org.credits.used(),
            "credits_limit": org.credits.limit,
            "concurrency_peak": org.gate.peak,
        }

    # ---- inspection -----------------------------------------------------------------------
    def records(self, org_id: str, module: str) -> list[dict]:
        """Everything stored for ``module`` (deep copies), subforms such as Ordered_Items inline."""
        org = self._org_or_raise(org_id)
        with org.lock:
            mod = org.module(module)
            if mod is None:
                raise KeyError(f"module {module} does not exist in org {org_id}")
            return [org.current_lookups(mod, copy.deepcopy(r)) for r in mod.records.values()]

    def fields(self, org_id: str, module: str) -> list[dict]:
        org = self._org_or_raise(org_id)
        with org.lock:
            if module == "Ordered_Items":
                return [f.meta(module) for f in org.subform_fields.values()]
            mod = org.module(module)
            if mod is None:
                raise KeyError(f"module {module} does not exist in org {org_id}")
            return [f.meta(module) for f in mod.fields.values()]

    def field_api_name(self, org_id: str, module: str, label: str) -> str | None:
        """The API name of the field labelled ``label`` (what the product must discover)."""
        for f in self.fields(org_id, module):
            if f["field_label"] == label:
                return f["api_name"]
        return None

    def revoke_all_tokens(self, org_id: str) -> None:
        """Simulate the user revoking the app's access: every refresh and access token dies."""
        org = self._org_or_raise(org_id)
        self.oauth.revoke_org(org.org_id)

    def credits_used(self, org_id: str) -> int:
        return self._org_or_raise(org_id).credits.used()

    def stats_json(self) -> dict:
        out = self.stats.as_json()
        out["faults_pending"] = [f.as_json() for f in self.faults.pending()]
        out["orgs"] = {
            o.org_id: {
                "credits_used": o.credits.used(),
                "credits_limit": o.credits.limit,
                "in_flight": o.gate.in_flight,
                "concurrency_peak": o.gate.peak,
                "concurrency_limit": o.gate.limit,
            }
            for o in self.all_orgs()
        }
        return out
