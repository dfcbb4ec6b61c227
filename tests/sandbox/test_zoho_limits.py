"""Custom fields, editions, concurrency, credits and faults on the Zoho stand-in."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.fixtures.zoho import start_zoho_standin, zoho_connect

MANUAL_FIELDS = {
    "Products": ["ASIN No", "Currency Code"],
    "Sales_Orders": ["Order Type", "Amazon Order Status", "Sales Channel", "Amazon Order ID"],
    "Contacts": ["Buyer Name", "Amazon Order ID", "Amazon Buyer Email"],
}


class Api:
    def __init__(self, standin, email: str) -> None:
        tokens = zoho_connect(standin, email)
        self.base = f"{tokens['api_domain']}/crm/v8"
        self.headers = {"Authorization": f"Zoho-oauthtoken {tokens['access_token']}"}
        self.s = requests.Session()
        self.s.headers.update(self.headers)

    def get(self, path, **kw):
        return self.s.get(f"{self.base}{path}", timeout=10, **kw)

    def post(self, path, **kw):
        return self.s.post(f"{self.base}{path}", timeout=10, **kw)


def _create(api, module, specs):
    return api.post(f"/settings/fields?module={module}", json={"fields": specs})


def _names(api, module, ids):
    out = []
    for fid in ids:
        meta = api.get(f"/settings/fields/{fid}?module={module}").json()["fields"][0]
        out.append(meta["api_name"])
    return out


@pytest.mark.parametrize("legacy", [False, True])
def test_manual_fields_generated_names(zoho_standin, legacy):
    zoho_standin.create_org(
        company_name="Fields", admin_email="f@x.example", legacy_field_names=legacy
    )
    api = Api(zoho_standin, "f@x.example")
    got = {}
    for module, labels in MANUAL_FIELDS.items():
        r = _create(
            api,
            module,
            [{"field_label": label, "data_type": "text", "length": 100} for label in labels],
        )
        assert r.status_code == 201, r.text
        results = r.json()["fields"]
        for res in results:
            assert res["code"] == "SUCCESS"
            assert res["message"] == "field created"
            assert set(res["details"]) == {"id"}  # no api_name in the response
        got[module] = _names(api, module, [res["details"]["id"] for res in results])
    naive = {
        m: [label.replace(" ", "_") for label in labels] for m, labels in MANUAL_FIELDS.items()
    }
    if not legacy:
        assert got == naive
    else:
        assert got["Products"][0] == "ASIN_No1"
        assert got["Sales_Orders"][3] == "Amazon_Order_ID1"
        assert got["Contacts"] == naive["Contacts"]
    listed = api.get("/settings/fields?module=Products").json()["fields"]
    by_label = {f["field_label"]: f for f in listed}
    assert by_label["ASIN No"]["custom_field"] is True
    assert by_label["Product Name"]["custom_field"] is False
    assert by_label["Product Name"]["api_name"] == "Product_Name"


def test_field_limits(zoho_standin, zoho_org):
    api = Api(zoho_standin, "admin@acme.example")
    six = [{"field_label": f"F{i}", "data_type": "text", "length": 10} for i in range(6)]
    r = _create(api, "Products", six)
    assert r.status_code == 400
    assert r.json()["code"] == "LIMIT_EXCEEDED"

    r = _create(api, "Products", [{"field_label": "ASIN No", "data_type": "text", "length": 20}])
    assert r.status_code == 201
    r = _create(api, "Products", [{"field_label": "asin no", "data_type": "text", "length": 20}])
    assert r.status_code == 400
    assert r.json()["fields"][0]["code"] == "DUPLICATE_DATA"
    # The same label in another module is fine.
    assert (
        _create(api, "Contacts", [{"field_label": "ASIN No", "data_type": "text"}]).status_code
        == 201
    )

    uniq = [
        {
            "field_label": f"U{i}",
            "data_type": "text",
            "length": 20,
            "unique": {"case_sensitive": False},
        }
        for i in range(3)
    ]
    r = _create(api, "Products", uniq)
    assert r.status_code == 207
    assert [x["status"] for x in r.json()["fields"]] == ["success", "success", "error"]
    assert r.json()["fields"][2]["code"] == "LIMIT_EXCEEDED"
    r = _create(api, "Products", [{"field_label": "Too long", "data_type": "text", "length": 256}])
    assert r.json()["fields"][0]["code"] == "INVALID_DATA"


def test_custom_field_cap_standard_and_no_sales_orders(zoho_standin):
    zoho_standin.create_org(edition="standard", company_name="Std", admin_email="s@x.example")
    api = Api(zoho_standin, "s@x.example")
    modules = [m["api_name"] for m in api.get("/settings/modules").json()["modules"]]
    assert "Sales_Orders" not in modules
    assert {"Products", "Contacts"} <= set(modules)
    r = api.post("/Sales_Orders", json={"data": [{"Subject": "x"}]})
    assert r.status_code == 400
    assert r.json()["code"] == "INVALID_MODULE"
    assert api.get("/Sales_Orders", params={"fields": "Subject"}).json()["code"] == "INVALID_MODULE"
    for batch in range(2):
        r = _create(
            api,
            "Products",
            [{"field_label": f"C{batch}-{i}", "data_type": "text"} for i in range(5)],
        )
        assert r.status_code == 201
    r = _create(api, "Products", [{"field_label": "C11", "data_type": "text"}])
    assert r.json()["fields"][0]["code"] == "LIMIT_EXCEEDED"
    r = api.post(
        "/settings/modules",
        json={"modules": [{"plural_label": "Buyers", "singular_label": "Buyer"}]},
    )
    assert r.json()["code"] == "NOT_SUPPORTED"


def test_concurrency_429(zoho_standin):
    zoho_standin.create_org(edition="free", company_name="Tiny", admin_email="t@x.example")
    api = Api(zoho_standin, "t@x.example")
    zoho_standin.faults.inject("slow", count=20, path_contains="/Contacts", delay=0.4)
    statuses: list[int] = []
    lock = threading.Lock()

    def hit():
        r = requests.get(
            f"{api.base}/Contacts", params={"fields": "Last_Name"}, headers=api.headers, timeout=10
        )
        with lock:
            statuses.append(r.status_code)
            if r.status_code == 429:
                assert r.json()["code"] == "TOO_MANY_REQUESTS"

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert statuses.count(429) == 3  # free edition: 5 in flight
    assert statuses.count(204) == 5
    zoho_standin.faults.clear()


def test_credits_exhausted_and_header():
    standin = start_zoho_standin(daily_credits=30)
    try:
        org = standin.create_org(company_name="Cheap", admin_email="c@x.example")
        api = Api(standin, "c@x.example")
        r = api.post("/Contacts", json={"data": [{"Last_Name": f"N{i}"} for i in range(100)]})
        assert r.status_code == 201
        assert "X-API-CREDITS-REMAINING" not in r.headers  # 10 of 30 used
        r = api.post("/Contacts", json={"data": [{"Last_Name": f"M{i}"} for i in range(91)]})
        assert r.headers["X-API-CREDITS-REMAINING"] == "10"
        assert standin.credits_used(org.org_id) == 20
        assert api.get("/org").status_code == 200  # a read costs one credit
        r = api.post("/Contacts", json={"data": [{"Last_Name": f"O{i}"} for i in range(100)]})
        assert r.status_code == 429
        assert r.json()["code"] == "TOO_MANY_REQUESTS"
        # Credits roll over after 24 hours; the token must be refreshed by then, so use a new one.
        standin.clock.advance(86_401)
        api = Api(standin, "c@x.example")
        assert api.post("/Contacts", json={"data": [{"Last_Name": "P"}]}).status_code == 201
    finally:
        standin.stop()


def test_faults_disconnect_and_429(zoho_standin, zoho_org):
    api = Api(zoho_standin, "admin@acme.example")
    zoho_standin.faults.inject("disconnect", count=1, path_contains="/Contacts")
    with pytest.raises(requests.ConnectionError):
        requests.get(
            f"{api.base}/Contacts", params={"fields": "Last_Name"}, headers=api.headers, timeout=5
        )
    zoho_standin.faults.inject(429, count=2)
    assert api.get("/org").status_code == 429
    assert api.get("/org").status_code == 429
    assert api.get("/org").status_code == 200
    zoho_standin.faults.inject(500, count=1, path_contains="/oauth/v2/token")
    r = requests.post(f"{zoho_standin.accounts_url}/oauth/v2/token", data={}, timeout=5)
    assert r.status_code == 500
    assert zoho_standin.stats.by_status[429] == 2
    zoho_standin.stats.reset()
    assert sum(zoho_standin.stats.calls.values()) == 0


def test_keep_alive(zoho_standin):
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(zoho_standin.api_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    try:
        conn.request(
            "POST",
            "/crm/v8/Contacts",
            body=b'{"data": []}',
            headers={"Content-Type": "application/json"},
        )
        first = conn.getresponse()
        assert first.status == 401
        assert first.getheader("Connection") is None
        first.read()
        sock = conn.sock
        conn.request("GET", "/_sandbox/orgs")
        second = conn.getresponse()
        assert second.status == 200
        second.read()
        assert conn.sock is sock  # same TCP connection
    finally:
        conn.close()
