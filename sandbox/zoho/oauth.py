"""OAuth state shared by every data centre's accounts and API servers (spec §1).

Codes, refresh tokens and access tokens all remember the DC that issued them: a code can only be
exchanged at that DC's accounts server, and an access token is only known to that DC's API server
(elsewhere it is simply unknown → 401 INVALID_TOKEN).
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field

from sandbox.common.clock import SandboxClock

from .util import token

CODE_TTL = 180.0
WINDOW = 600.0
ACCESS_PER_REFRESH = 15
REFRESH_PER_USER_CLIENT = 20


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    dcs: tuple[str, ...] | None = None  # None: multi-DC enabled everywhere


@dataclass
class Grant:
    code: str
    dc: str
    client_id: str
    redirect_uri: str
    org_id: str
    user_id: str
    scopes: list[str]
    access_type: str
    expires_at: float
    used: bool = False


@dataclass
class RefreshToken:
    token: str
    dc: str
    client_id: str
    org_id: str
    user_id: str
    scopes: list[str]
    created_at: float
    access: deque = field(default_factory=deque)  # access token strings, oldest first
    refresh_times: deque = field(default_factory=deque)
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    dc: str
    client_id: str
    org_id: str
    user_id: str
    scopes: list[str]
    expires_at: float
    refresh: str | None


class OAuthError(Exception):
    def __init__(self, payload: dict) -> None:
        super().__init__(payload.get("error"))
        self.payload = payload


THROTTLED = {
    "error": "Access Denied",
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "status": "failure",
}


class OAuthState:
    def __init__(
        self,
        clock: SandboxClock,
        *,
        token_ttl_seconds: int,
        refresh_limit_per_10_min: int,
        code_limit_per_10_min: int | None,
    ) -> None:
        self.clock = clock
        self.ttl = token_ttl_seconds
        self.refresh_limit = refresh_limit_per_10_min
        self.code_limit = code_limit_per_10_min
        self.lock = threading.RLock()
        self.clients: dict[str, Client] = {}
        self.grants: dict[str, Grant] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.access: dict[str, AccessToken] = {}
        self.code_times: dict[tuple[str, str], deque] = {}
        self.token_refreshes = 0

    # ---- clients --------------------------------------------------------------------------
    def register_client(
        self, client_id: str, secret: str, redirect_uris: list[str], dcs: tuple[str, ...] | None
    ) -> None:
        with self.lock:
            self.clients[client_id] = Client(client_id, secret, list(redirect_uris), dcs)

    def client_for(self, client_id: str | None, dc: str) -> Client | None:
        client = self.clients.get(client_id or "")
        if client is None or (client.dcs is not None and dc not in client.dcs):
            return None
        return client

    # ---- codes ----------------------------------------------------------------------------
    def issue_code(
        self,
        *,
        dc: str,
        client_id: str,
        redirect_uri: str,
        org_id: str,
        user_id: str,
        scopes: list[str],
        access_type: str,
    ) -> str | None:
        """A new grant code, or None when the client/user made too many in 10 minutes."""
        now = self.clock.timestamp()
        with self.lock:
            if self.code_limit is not None:
                times = self.code_times.setdefault((client_id, user_id), deque())
                while times and times[0] <= now - WINDOW:
                    times.popleft()
                if len(times) >= self.code_limit:
                    return None
                times.append(now)
            code = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
            self.grants[code] = Grant(
                code=code,
                dc=dc,
                client_id=client_id,
                redirect_uri=redirect_uri,
                org_id=org_id,
                user_id=user_id,
                scopes=scopes,
                access_type=access_type,
                expires_at=now + CODE_TTL,
            )
            return code

    def _client_check(self, dc: str, client_id: str | None, secret: str | None) -> Client:
        client = self.client_for(client_id, dc)
        if client is None:
            raise OAuthError({"error": "invalid_client"})
        if secret != client.client_secret:
            raise OAuthError({"error": "invalid_client_secret"})
        return client

    def _mint_access(
        self,
        dc: str,
        client_id: str,
        org_id: str,
        user_id: str,
        scopes: list[str],
        rt: RefreshToken | None,
    ) -> AccessToken:
        at = AccessToken(
            token=token(),
            dc=dc,
            client_id=client_id,
            org_id=org_id,
            user_id=user_id,
            scopes=scopes,
            expires_at=self.clock.timestamp() + self.ttl,
            refresh=rt.token if rt else None,
        )
        self.access[at.token] = at
        if rt is not None:
            rt.access.append(at.token)
            while len(rt.access) > ACCESS_PER_REFRESH:
                self.access.pop(rt.access.popleft(), None)
        return at

    def exchange_code(
        self,
        dc: str,
        client_id: str | None,
        secret: str | None,
        code: str | None,
        redirect_uri: str | None,
    ) -> dict:
        now = self.clock.timestamp()
        with self.lock:
            client = self._client_check(dc, client_id, secret)
            grant = self.grants.get(code or "")
            if (
                grant is None
                or grant.used
                or grant.expires_at <= now
                or grant.dc != dc
                or grant.client_id != client.client_id
            ):
                raise OAuthError({"error": "invalid_code"})
            if redirect_uri is not None and redirect_uri != grant.redirect_uri:
                raise OAuthError({"error": "invalid_redirect_uri"})
            grant.used = True
            rt = None
            if grant.access_type == "offline":
                rt = RefreshToken(
                    token=token(),
                    dc=dc,
                    client_id=client.client_id,
                    org_id=grant.org_id,
                    user_id=grant.user_id,
                    scopes=grant.scopes,
                    created_at=now,
                )
                self.refresh[rt.token] = rt
                self._evict_refresh(client.client_id, grant.user_id)
            at = self._mint_access(
                dc, client.client_id, grant.org_id, grant.user_id, grant.scopes, rt
            )
            out = {"access_token": at.token}
            if rt is not None:
                out["refresh_token"] = rt.token
            out.update(
                {"scope": " ".join(grant.scopes), "token_type": "Bearer", "expires_in": self.ttl}
            )
            return out

    def _evict_refresh(self, client_id: str, user_id: str) -> None:
        mine = [
            rt
            for rt in self.refresh.values()
            if rt.client_id == client_id and rt.user_id == user_id and not rt.revoked
        ]
        mine.sort(key=lambda r: r.created_at)
        while len(mine) > REFRESH_PER_USER_CLIENT:
            self._revoke(mine.pop(0))

    def refresh_access(
        self, dc: str, client_id: str | None, secret: str | None, refresh_token: str | None
    ) -> dict:
        now = self.clock.timestamp()
        with self.lock:
            client = self._client_check(dc, client_id, secret)
            rt = self.refresh.get(refresh_token or "")
            if rt is None or rt.revoked or rt.dc != dc or rt.client_id != client.client_id:
                raise OAuthError({"error": "invalid_code"})
            while rt.refresh_times and rt.refresh_times[0] <= now - WINDOW:
                rt.refresh_times.popleft()
            if len(rt.refresh_times) >= self.refresh_limit:
                raise OAuthError(dict(THROTTLED))
            rt.refresh_times.append(now)
            self.token_refreshes += 1
            at = self._mint_access(dc, client.client_id, rt.org_id, rt.user_id, rt.scopes, rt)
            return {
                "access_token": at.token,
                "scope": " ".join(rt.scopes),
                "token_type": "Bearer",
                "expires_in": self.ttl,
            }

    # ---- revoke ---------------------------------------------------------------------------
    def _revoke(self, rt: RefreshToken) -> None:
        rt.revoked = True
        for t in rt.access:
            self.access.pop(t, None)
        rt.access.clear()

    def revoke(self, dc: str, tok: str | None) -> bool:
        with self.lock:
            rt = self.refresh.get(tok or "")
            if rt is not None and rt.dc == dc and not rt.revoked:
                self._revoke(rt)
                return True
            at = self.access.get(tok or "")
            if at is not None and at.dc == dc:
                del self.access[at.token]
                return True
            return False

    def revoke_org(self, org_id: str) -> int:
        with self.lock:
            n = 0
            for rt in self.refresh.values():
                if rt.org_id == org_id and not rt.revoked:
                    self._revoke(rt)
                    n += 1
            for t in [t for t, at in self.access.items() if at.org_id == org_id]:
                del self.access[t]
            return n

    # ---- API side -------------------------------------------------------------------------
    def lookup(self, dc: str, tok: str) -> AccessToken | None:
        with self.lock:
            at = self.access.get(tok)
            if at is None or at.dc != dc:
                return None
            if at.expires_at <= self.clock.timestamp():
                return None
            return at
