"""``ZohoStandIn``: per-DC fake Zoho Accounts + CRM v8 API servers on loopback ports.

Token/DC policy: tokens are DC-specific. An access token presented to another DC's API host is
unknown there → 401 ``INVALID_TOKEN`` (each DC has its own token store). A CRM API call sent to
an *accounts* host (the wrong host) → 400 ``INVALID_HOST``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sandbox.common.http import ServerHandle, serve_in_thread

from .accounts import AccountsApp
from .api import ApiApp
from .state import ZohoState

INTERNAL_ERROR = (
    b'{"code":"INTERNAL_ERROR","details":{},"message":"internal error","status":"error"}'
)


class ZohoStandIn(ZohoState):
    """:class:`ZohoState` served over HTTP: one accounts and one API server per DC."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._servers: list[ServerHandle] = []

    # ---- lifecycle ------------------------------------------------------------------------
    def start(
        self,
        host: str = "127.0.0.1",
        ports: dict[str, tuple[int, int]] | None = None,
        *,
        access_log: bool = False,
        allow_any_host: bool = False,
    ) -> ZohoStandIn:
        """Start one accounts and one API server per DC; ``ports`` maps dc → (accounts, api).

        ``allow_any_host`` is for a container of its own (docker-compose's sandbox profile)."""
        for dc in self.dcs:
            acc_port, api_port = (ports or {}).get(dc, (0, 0))
            urls = []
            for kind, app, port in (
                ("accounts", AccountsApp(self, dc), acc_port),
                ("api", ApiApp(self, dc), api_port),
            ):
                server = serve_in_thread(
                    app,
                    host,
                    port,
                    name=f"zoho-{dc}-{kind}",
                    allow_any_host=allow_any_host,
                    access_log=access_log,
                    error_body=INTERNAL_ERROR,
                    error_type="application/json",
                )
                self._servers.append(server)
                urls.append(server.url)
            self.dc_urls[dc] = (urls[0], urls[1])
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.stop()
        self._servers.clear()

    def __enter__(self) -> ZohoStandIn:
        return self.start() if not self._servers else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def accounts_url(self) -> str:
        return self.dc_urls["com"][0]

    @property
    def api_url(self) -> str:
        return self.dc_urls["com"][1]

    def authorize_url(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        scope: str,
        state: str = "",
        access_type: str = "offline",
        prompt: str = "consent",
        dc: str = "com",
    ) -> str:
        query = urlencode(
            {
                "scope": scope,
                "client_id": client_id,
                "response_type": "code",
                "access_type": access_type,
                "prompt": prompt,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self.dc_urls[dc][0]}/oauth/v2/auth?{query}"
