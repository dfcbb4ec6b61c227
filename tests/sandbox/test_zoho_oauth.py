"""OAuth behaviour of the Zoho stand-in, over real HTTP."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.fixtures.zoho import (
    ALL_SCOPES,
    TEST_CLIENT_ID,
    TEST_CLIENT_SECRET,
    zoho_authorize,
    zoho_connect,
)

REDIRECT = "http://127.0.0.1/zoho/callback"


def _token(accounts: str, **data) -> requests.Response:
    data.setdefault("client_id", TEST_CLIENT_ID)
    data.setdefault("client_secret", TEST_CLIENT_SECRET)
    return requests.post(f"{accounts}/oauth/v2/token", data=data, timeout=10)


def _auth(token: str) -> dict:
    return {"Authorization": f"Zoho-oauthtoken {token}"}


def _callback(standin, email, **kw) -> dict:
    url = standin.authorize_url(
        client_id=TEST_CLIENT_ID, redirect_uri=REDIRECT, scope=ALL_SCOPES, state="xyz", **kw
    )
    return dict(parse_qsl(urlsplit(zoho_authorize(standin, url, email)).query))


@pytest.mark.parametrize("dc", ["com", "eu"])
def test_full_dance_per_dc(zoho_standin, dc):
    org = zoho_standin.create_org(dc=dc, company_name=f"Org {dc}", admin_email=f"boss@{dc}.example")
    # The product always starts at the US accounts server.
    page = requests.get(
        zoho_standin.authorize_url(
            client_id=TEST_CLIENT_ID, redirect_uri=REDIRECT, scope=ALL_SCOPES, state="xyz"
        ),
        timeout=10,
    )
    assert page.status_code == 200
    assert 'name="user_email"' in page.text
    assert f"boss@{dc}.example" in page.text
    assert '<button type="submit" name="approve" value="1">Accept</button>' in page.text

    cb = _callback(zoho_standin, f"boss@{dc}.example")
    accounts_url, api_url = zoho_standin.dc_urls[dc]
    assert cb["location"] == dc
    assert cb["accounts-server"] == accounts_url
    assert cb["state"] == "xyz"

    if dc == "eu":
        # Exchanging at the wrong DC fails (HTTP 200 error body) and does not burn the code.
        wrong = _token(
            zoho_standin.accounts_url,
            grant_type="authorization_code",
            code=cb["code"],
            redirect_uri=REDIRECT,
        )
        assert wrong.status_code == 200
        assert wrong.json() == {"error": "invalid_code"}

    resp = _token(
        accounts_url, grant_type="authorization_code", code=cb["code"], redirect_uri=REDIRECT
    )
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "scope",
        "api_domain",
        "token_type",
        "expires_in",
    }
    assert body["api_domain"] == api_url
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600

    r = requests.get(f"{api_url}/crm/v8/org", headers=_auth(body["access_token"]), timeout=10)
    assert r.status_code == 200
    info = r.json()["org"][0]
    assert info["zgid"] == org.zgid
    assert info["primary_zuid"] == org.primary_zuid

    # A token is unknown to the other DC's API host; the accounts host is the wrong host.
    other = "eu" if dc == "com" else "com"
    r = requests.get(
        f"{zoho_standin.dc_urls[other][1]}/crm/v8/org",
        headers=_auth(body["access_token"]),
        timeout=10,
    )
    assert r.status_code == 401
    assert r.json()["code"] == "INVALID_TOKEN"
    r = requests.get(f"{accounts_url}/crm/v8/org", headers=_auth(body["access_token"]), timeout=10)
    assert r.status_code == 400
    assert r.json()["code"] == "INVALID_HOST"

    # Single use.
    again = _token(
        accounts_url, grant_type="authorization_code", code=cb["code"], redirect_uri=REDIRECT
    )
    assert again.json() == {"error": "invalid_code"}


def test_authorize_errors_and_reject(zoho_standin, zoho_org):
    bad_client = zoho_standin.authorize_url(
        client_id="nope", redirect_uri=REDIRECT, scope=ALL_SCOPES
    )
    r = requests.get(bad_client, timeout=10, allow_redirects=False)
    assert r.status_code == 400
    assert "Invalid Client" in r.text
    bad_redirect = zoho_standin.authorize_url(
        client_id=TEST_CLIENT_ID, redirect_uri="http://evil.example/cb", scope=ALL_SCOPES
    )
    r = requests.get(bad_redirect, timeout=10, allow_redirects=False)
    assert r.status_code == 400
    assert "Redirect" in r.text

    url = zoho_standin.authorize_url(
        client_id=TEST_CLIENT_ID, redirect_uri=REDIRECT, scope=ALL_SCOPES, state="st"
    )
    location = zoho_authorize(zoho_standin, url, "admin@acme.example", approve=False)
    query = dict(parse_qsl(urlsplit(location).query))
    assert location.startswith(REDIRECT)
    assert query == {"error": "access_denied", "state": "st"}


def test_token_errors_are_http_200(zoho_standin, zoho_org):
    cb = _callback(zoho_standin, "admin@acme.example")
    acc = zoho_standin.accounts_url
    r = _token(acc, grant_type="authorization_code", code=cb["code"], client_id="unknown")
    assert (r.status_code, r.json()) == (200, {"error": "invalid_client"})
    r = _token(acc, grant_type="authorization_code", code=cb["code"], client_secret="wrong")
    assert (r.status_code, r.json()) == (200, {"error": "invalid_client_secret"})
    r = _token(acc, grant_type="authorization_code", code="1000.bogus")
    assert (r.status_code, r.json()) == (200, {"error": "invalid_code"})
    r = _token(acc, grant_type="refresh_token", refresh_token="1000.bogus")
    assert (r.status_code, r.json()) == (200, {"error": "invalid_code"})

    # Codes expire after 3 minutes.
    zoho_standin.clock.advance(181)
    r = _token(acc, grant_type="authorization_code", code=cb["code"], redirect_uri=REDIRECT)
    assert r.json() == {"error": "invalid_code"}


def test_query_params_accepted_and_online_has_no_refresh_token(zoho_standin, zoho_org):
    cb = _callback(zoho_standin, "admin@acme.example", access_type="online")
    params = {
        "grant_type": "authorization_code",
        "client_id": TEST_CLIENT_ID,
        "client_secret": TEST_CLIENT_SECRET,
        "redirect_uri": REDIRECT,
        "code": cb["code"],
    }
    r = requests.post(f"{zoho_standin.accounts_url}/oauth/v2/token", params=params, timeout=10)
    body = r.json()
    assert "access_token" in body
    assert "refresh_token" not in body


def test_refresh_throttle_expiry_and_revoke(zoho_standin, zoho_org):
    tokens = zoho_connect(zoho_standin, "admin@acme.example")
    acc, api = zoho_standin.dc_urls["com"]
    access = tokens["access_token"]
    assert (
        requests.get(
            f"{api}/crm/v8/users?type=CurrentUser", headers=_auth(access), timeout=10
        ).status_code
        == 200
    )

    # Expiry via the adjustable clock.
    zoho_standin.clock.advance(3601)
    r = requests.get(f"{api}/crm/v8/org", headers=_auth(access), timeout=10)
    assert r.status_code == 401
    assert r.json() == {
        "code": "INVALID_TOKEN",
        "details": {},
        "message": "invalid oauth token",
        "status": "error",
    }

    refreshed = []
    for _ in range(10):
        body = _token(acc, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
        assert set(body) == {"access_token", "scope", "api_domain", "token_type", "expires_in"}
        refreshed.append(body["access_token"])
    throttled = _token(acc, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert throttled.status_code == 200
    assert throttled.json()["error"] == "Access Denied"
    assert throttled.json()["status"] == "failure"
    assert zoho_standin.stats.token_refreshes == 10

    # The window rolls after 10 minutes.
    zoho_standin.clock.advance(601)
    body = _token(acc, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert "access_token" in body
    fresh = body["access_token"]
    assert requests.get(f"{api}/crm/v8/org", headers=_auth(fresh), timeout=10).status_code == 200

    r = requests.post(
        f"{acc}/oauth/v2/token/revoke", params={"token": tokens["refresh_token"]}, timeout=10
    )
    assert r.status_code == 200
    assert requests.get(f"{api}/crm/v8/org", headers=_auth(fresh), timeout=10).status_code == 401
    r = _token(acc, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert r.json() == {"error": "invalid_code"}


def test_access_token_cap_and_revoke_all(zoho_standin, zoho_org):
    zs = type(zoho_standin)
    standin = zs(refresh_limit_per_10_min=100).start()
    try:
        standin.register_client(TEST_CLIENT_ID, TEST_CLIENT_SECRET, [REDIRECT])
        org = standin.create_org(company_name="Cap", admin_email="cap@acme.example")
        tokens = zoho_connect(standin, "cap@acme.example")
        acc, api = standin.dc_urls["com"]
        first = tokens["access_token"]
        for _ in range(15):
            _token(acc, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
        # 16 live tokens would exceed 15: the first one was evicted.
        assert (
            requests.get(f"{api}/crm/v8/org", headers=_auth(first), timeout=10).status_code == 401
        )
        last = _token(acc, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
        assert (
            requests.get(
                f"{api}/crm/v8/org", headers=_auth(last["access_token"]), timeout=10
            ).status_code
            == 200
        )
        standin.revoke_all_tokens(org.org_id)
        assert (
            requests.get(
                f"{api}/crm/v8/org", headers=_auth(last["access_token"]), timeout=10
            ).status_code
            == 401
        )
        r = _token(acc, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
        assert r.json() == {"error": "invalid_code"}
    finally:
        standin.stop()


def test_api_auth_errors_and_scopes(zoho_standin, zoho_org):
    api = zoho_standin.dc_urls["com"][1]
    r = requests.get(f"{api}/crm/v8/org", timeout=10)
    assert r.status_code == 401
    assert r.json()["code"] == "AUTHENTICATION_FAILURE"
    r = requests.get(f"{api}/crm/v8/org", headers=_auth("1000.nope"), timeout=10)
    assert r.json()["code"] == "INVALID_TOKEN"

    tokens = zoho_connect(zoho_standin, "admin@acme.example", scope="ZohoCRM.modules.products.ALL")
    h = _auth(tokens["access_token"])
    r = requests.get(f"{api}/crm/v8/Products?fields=Product_Name", headers=h, timeout=10)
    assert r.status_code == 204
    for path in (
        "/crm/v8/Contacts?fields=Last_Name",
        "/crm/v8/settings/fields?module=Products",
        "/crm/v8/users",
        "/crm/v8/org",
    ):
        r = requests.get(f"{api}{path}", headers=h, timeout=10)
        assert r.status_code == 401, path
        assert r.json()["code"] == "OAUTH_SCOPE_MISMATCH"


def test_serverinfo_and_users(zoho_standin, zoho_org):
    r = requests.get(f"{zoho_standin.accounts_url}/oauth/serverinfo", timeout=10)
    locations = r.json()["locations"]
    assert locations["us"] == zoho_standin.dc_urls["com"][0]
    assert locations["eu"] == zoho_standin.dc_urls["eu"][0]

    tokens = zoho_connect(zoho_standin, "admin@acme.example")
    api = tokens["api_domain"]
    h = _auth(tokens["access_token"])
    admins = requests.get(f"{api}/crm/v8/users?type=AdminUsers", headers=h, timeout=10).json()[
        "users"
    ]
    assert len(admins) == 2  # the super admin and a second Administrator
    org = requests.get(f"{api}/crm/v8/org", headers=h, timeout=10).json()["org"][0]
    supers = [u for u in admins if u["zuid"] == org["primary_zuid"]]
    assert [u["email"] for u in supers] == ["admin@acme.example"]
    assert org["primary_email"] == "admin@acme.example"
    assert org["license_details"]["paid_type"] == "enterprise"
    me = requests.get(f"{api}/crm/v8/users?type=CurrentUser", headers=h, timeout=10).json()["users"]
    assert me[0]["email"] == "admin@acme.example"
    assert me[0]["profile"]["name"] == "Administrator"


def test_refresh_token_only_on_first_consent_without_prompt(zoho_standin, zoho_org):
    def exchange(**kw):
        cb = _callback(zoho_standin, "admin@acme.example", **kw)
        return _token(
            cb["accounts-server"],
            grant_type="authorization_code",
            code=cb["code"],
            redirect_uri=REDIRECT,
        ).json()

    assert "refresh_token" in exchange(prompt="")
    assert "refresh_token" not in exchange(prompt="")  # Zoho: no new one without prompt=consent
    assert "refresh_token" in exchange(prompt="consent")


def test_client_not_enabled_for_a_dc(zoho_standin):
    zoho_standin.register_client("us-only", "sec", [REDIRECT], dcs=("com",))
    zoho_standin.create_org(dc="eu", company_name="EU", admin_email="eu@x.example")
    url = zoho_standin.authorize_url(client_id="us-only", redirect_uri=REDIRECT, scope=ALL_SCOPES)
    cb = dict(parse_qsl(urlsplit(zoho_authorize(zoho_standin, url, "eu@x.example")).query))
    assert cb["location"] == "eu"
    r = _token(
        cb["accounts-server"],
        grant_type="authorization_code",
        code=cb["code"],
        client_id="us-only",
        client_secret="sec",
    )
    assert r.json() == {"error": "invalid_client"}
