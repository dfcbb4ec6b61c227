"""Fake Zoho Accounts server for one data centre (spec §1)."""

from __future__ import annotations

import html
import time
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from .oauth import OAuthError
from .state import ZohoState
from .util import api_error, drop_connection, json_response

AUTH_PARAMS = (
    "scope",
    "client_id",
    "response_type",
    "access_type",
    "prompt",
    "redirect_uri",
    "state",
)

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:3em auto}} .err{{color:#a00}}
label,select,button{{font-size:1em}} .scopes li{{font-family:monospace}}</style></head>
<body>{body}</body></html>"""


def page(title: str, body: str, status: int = 200) -> Response:
    return Response(
        _PAGE.format(title=html.escape(title), body=body),
        status=status,
        content_type="text/html; charset=utf-8",
    )


def error_page(message: str, status: int = 400) -> Response:
    body = f"<h1>Zoho Accounts (stand-in)</h1><p class='err' id='error'>{html.escape(message)}</p>"
    return page("Error", body, status)


class AccountsApp:
    def __init__(self, standin: ZohoState, dc: str) -> None:
        self.standin = standin
        self.dc = dc

    def __call__(self, environ, start_response):
        request = Request(environ)
        route, response = self.dispatch(request, environ)
        self.standin.stats.record_call(request.method, route, response.status_code, dc=self.dc)
        return response(environ, start_response)

    # ---- routing --------------------------------------------------------------------------
    def dispatch(self, request: Request, environ: dict) -> tuple[str, Response]:
        path, method = request.path, request.method
        if path.startswith("/crm/"):
            # The API lives on api_domain; the accounts host is the wrong host for it.
            return "invalid_host", api_error(
                400, "INVALID_HOST", "the host given is invalid; use the api_domain", {}
            )
        fault = self.standin.faults.take(method=method, path=path, dc=self.dc)
        if fault is not None:
            if fault.status == "slow":
                time.sleep(fault.delay)
            elif fault.status == "disconnect":
                return "fault:disconnect", drop_connection(environ)
            else:
                return f"fault:{fault.status}", error_page("Internal error", int(fault.status))
        if path == "/oauth/v2/auth" and method in ("GET", "POST"):
            if method == "GET":
                return "authorize", self.authorize_page(request)
            return "authorize", self.authorize_submit(request)
        if path == "/oauth/v2/token" and method == "POST":
            params = {**request.args.to_dict(), **request.form.to_dict()}
            grant_type = params.get("grant_type", "")
            return f"token:{grant_type or 'missing'}", self.token(params)
        if path == "/oauth/v2/token/revoke" and method == "POST":
            params = {**request.args.to_dict(), **request.form.to_dict()}
            ok = self.standin.oauth.revoke(self.dc, params.get("token"))
            body = {"status": "success"} if ok else {"error": "invalid_token", "status": "failure"}
            return "revoke", json_response(body)
        if path == "/oauth/serverinfo" and method == "GET":
            locations = {
                ("us" if dc == "com" else dc): urls[0] for dc, urls in self.standin.dc_urls.items()
            }
            return "serverinfo", json_response({"result": "success", "locations": locations})
        if path == "/" and method == "GET":
            return "home", page("Zoho Accounts stand-in", f"<h1>Zoho Accounts ({self.dc})</h1>")
        return "not_found", error_page("Not found", 404)

    # ---- authorize ------------------------------------------------------------------------
    def _validate(self, params: dict) -> tuple[Response | None, str]:
        client = self.standin.oauth.client_for(params.get("client_id"), self.dc)
        if client is None:
            return error_page("Invalid Client: the client_id is not registered."), ""
        if params.get("response_type") != "code":
            return error_page("Invalid response_type: only 'code' is supported."), ""
        redirect_uri = params.get("redirect_uri") or ""
        if redirect_uri not in client.redirect_uris:
            return error_page(
                "Invalid Redirect Uri: the redirect_uri does not match the client."
            ), ""
        if not (params.get("scope") or "").strip():
            return error_page("Invalid OAuth Scope: scope is required."), ""
        return None, redirect_uri

    def authorize_page(self, request: Request) -> Response:
        params = {k: request.args.get(k) for k in AUTH_PARAMS if request.args.get(k) is not None}
        problem, _ = self._validate(params)
        if problem is not None:
            return problem
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        options = []
        for org in self.standin.all_orgs():
            for user in org.users.values():
                if user.status != "active":
                    continue
                label = f"{user.full_name} <{user.email}> — {org.company_name} ({org.dc.upper()}, {org.edition})"
                options.append(
                    f'<option value="{html.escape(user.email)}">{html.escape(label)}</option>'
                )
        scopes = "".join(
            f"<li>{html.escape(s)}</li>" for s in _split_scopes(params.get("scope", ""))
        )
        body = f"""<h1>Zoho Accounts (stand-in, {html.escape(self.dc)})</h1>
<p>The application <b>{html.escape(params["client_id"])}</b> would like to access your Zoho CRM data:</p>
<ul class="scopes">{scopes}</ul>
<form method="post" action="/oauth/v2/auth">{hidden}
<p><label for="user_email">Sign in as</label>
<select name="user_email" id="user_email">{"".join(options)}</select></p>
<p><button type="submit" name="approve" value="1">Accept</button>
<button type="submit" name="reject" value="1">Reject</button></p>
</form>"""
        return page("Authorize", body)

    def authorize_submit(self, request: Request) -> Response:
        form = {**request.args.to_dict(), **request.form.to_dict()}
        params = {k: form[k] for k in AUTH_PARAMS if k in form}
        problem, redirect_uri = self._validate(params)
        if problem is not None:
            return problem
        state = params.get("state")

        def back(query: dict) -> Response:
            if state is not None:
                query["state"] = state
            sep = "&" if "?" in redirect_uri else "?"
            return Response(
                status=302, headers={"Location": f"{redirect_uri}{sep}{urlencode(query)}"}
            )

        if not form.get("approve") or form.get("reject"):
            return back({"error": "access_denied"})
        found = self.standin.user_by_email(form.get("user_email") or "")
        if found is None:
            return error_page("Unknown user: choose one of the listed users.")
        org, user = found
        if user.status != "active":
            return error_page("This user is not active.")
        scopes = _split_scopes(params.get("scope", ""))
        access_type = (params.get("access_type") or "online").lower()
        oauth = self.standin.oauth
        if access_type == "offline" and (params.get("prompt") or "").lower() != "consent":
            # Zoho issues a refresh token on the first consent only, unless prompt=consent.
            with oauth.lock:
                already = any(
                    rt.client_id == params["client_id"] and rt.user_id == user.id and not rt.revoked
                    for rt in oauth.refresh.values()
                )
            if already:
                access_type = "online"
        code = oauth.issue_code(
            dc=org.dc,
            client_id=params["client_id"],
            redirect_uri=redirect_uri,
            org_id=org.org_id,
            user_id=user.id,
            scopes=scopes,
            access_type=access_type,
        )
        if code is None:
            return back(
                {"error": "access_denied", "error_description": "too many authorization requests"}
            )
        accounts_url = self.standin.dc_urls[org.dc][0]
        return back({"code": code, "location": org.dc, "accounts-server": accounts_url})

    # ---- token ----------------------------------------------------------------------------
    def token(self, params: dict) -> Response:
        oauth = self.standin.oauth
        grant_type = params.get("grant_type")
        try:
            if grant_type == "authorization_code":
                body = oauth.exchange_code(
                    self.dc,
                    params.get("client_id"),
                    params.get("client_secret"),
                    params.get("code"),
                    params.get("redirect_uri"),
                )
            elif grant_type == "refresh_token":
                body = oauth.refresh_access(
                    self.dc,
                    params.get("client_id"),
                    params.get("client_secret"),
                    params.get("refresh_token"),
                )
            else:
                body = {"error": "unsupported_grant_type"}
                return json_response(body)
        except OAuthError as exc:
            return json_response(exc.payload)  # Zoho: errors come with HTTP 200
        api_url = self.standin.dc_urls[self.dc][1]
        ordered = {}
        for key in ("access_token", "refresh_token", "scope"):
            if key in body:
                ordered[key] = body[key]
        ordered["api_domain"] = api_url
        ordered["token_type"] = body["token_type"]
        ordered["expires_in"] = body["expires_in"]
        return json_response(ordered)


def _split_scopes(raw: str) -> list[str]:
    parts = [p.strip() for chunk in raw.split(",") for p in chunk.split(" ")]
    return [p for p in parts if p]
