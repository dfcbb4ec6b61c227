"""Records, upsert and Ordered_Items on the Zoho stand-in."""

from __future__ import annotations

import pytest
import requests

from tests.fixtures.zoho import zoho_connect


class Api:
    def __init__(self, standin, email: str) -> None:
        tokens = zoho_connect(standin, email)
        self.base = f"{tokens['api_domain']}/crm/v8"
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Zoho-oauthtoken {tokens['access_token']}"

    def __getattr__(self, method):
        def call(path, **kw):
            kw.setdefault("timeout", 10)
            return self.s.request(method.upper(), f"{self.base}{path}", **kw)

        return call


@pytest.fixture
def api(zoho_standin, zoho_org):
    return Api(zoho_standin, "admin@acme.example")


def _add_unique(api, module, label, unique=True):
    spec = {"field_label": label, "data_type": "text", "length": 40}
    if unique:
        spec["unique"] = {"case_sensitive": False}
    r = api.post(f"/settings/fields?module={module}", json={"fields": [spec]})
    assert r.status_code == 201, r.text
    fid = r.json()["fields"][0]["details"]["id"]
    meta = api.get(f"/settings/fields/{fid}?module={module}").json()["fields"][0]
    return meta["api_name"]


def _product(api, name, price=10.0, **extra):
    r = api.post("/Products", json={"data": [{"Product_Name": name, "Unit_Price": price, **extra}]})
    assert r.status_code == 201, r.text
    return r.json()["data"][0]["details"]["id"]


def test_insert_result_shape_and_get(api, zoho_standin, zoho_org):
    r = api.post(
        "/Contacts",
        json={
            "data": [{"Last_Name": "Doe", "First_Name": "Jane", "Email": "j@x.example"}],
            "trigger": [],
        },
    )
    assert r.status_code == 201
    item = r.json()["data"][0]
    assert item["code"] == "SUCCESS"
    assert item["status"] == "success"
    assert item["message"] == "record added"
    assert "action" not in item
    rid = item["details"]["id"]
    assert len(rid) == 19
    assert rid.isdigit()
    assert {"Created_Time", "Modified_Time", "Created_By", "Modified_By"} <= set(item["details"])

    rec = api.get(f"/Contacts/{rid}").json()["data"][0]
    assert rec["Full_Name"] == "Jane Doe"
    assert rec["Owner"]["email"] == "admin@acme.example"
    stored = zoho_standin.records(zoho_org.org_id, "Contacts")
    assert [s["id"] for s in stored] == [rid]
    assert api.get("/Contacts/1234567890123456789").status_code == 204


def test_upsert_insert_then_update(api):
    asin = _add_unique(api, "Products", "ASIN No")
    body = {
        "data": [{"Product_Name": "Widget", asin: "B0001", "Unit_Price": 5}],
        "duplicate_check_fields": [asin],
    }
    r = api.post("/Products/upsert", json=body)
    assert r.status_code == 200
    first = r.json()["data"][0]
    assert (first["action"], first["duplicate_field"], first["message"]) == (
        "insert",
        None,
        "record added",
    )

    body["data"][0]["Unit_Price"] = 7
    body["data"][0]["Product_Name"] = "Widget renamed"
    r = api.post("/Products/upsert", json=body)
    second = r.json()["data"][0]
    assert (second["action"], second["duplicate_field"]) == ("update", asin)
    assert second["details"]["id"] == first["details"]["id"]
    rec = api.get(f"/Products/{first['details']['id']}").json()["data"][0]
    assert rec["Unit_Price"] == 7
    assert rec["Product_Name"] == "Widget renamed"

    # Without a list: system field (Product_Name) first.
    r = api.post(
        "/Products/upsert", json={"data": [{"Product_Name": "widget RENAMED", "Unit_Price": 9}]}
    )
    assert r.json()["data"][0]["duplicate_field"] == "Product_Name"
    # An unlisted system field is ignored when a list is given: a new product.
    r = api.post(
        "/Products/upsert",
        json={
            "data": [{"Product_Name": "Widget renamed", asin: "B0002"}],
            "duplicate_check_fields": [asin],
        },
    )
    assert r.json()["data"][0]["action"] == "insert"
    # Listing a field that is neither system nor unique is refused.
    r = api.post(
        "/Products/upsert",
        json={"data": [{"Product_Name": "X"}], "duplicate_check_fields": ["Product_Code"]},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "INVALID_DATA"


def test_multiple_or_multi_errors(api):
    asin = _add_unique(api, "Products", "ASIN No")
    sku = _add_unique(api, "Products", "Seller SKU")
    api.post(
        "/Products",
        json={
            "data": [
                {"Product_Name": "A", asin: "A1", sku: "S1"},
                {"Product_Name": "B", asin: "A2", sku: "S2"},
            ]
        },
    )
    r = api.post(
        "/Products/upsert",
        json={
            "data": [{"Product_Name": "C", asin: "A1", sku: "S2"}],
            "duplicate_check_fields": [asin],
        },
    )
    assert r.status_code == 400
    err = r.json()["data"][0]
    assert err["code"] == "MULTIPLE_OR_MULTI_ERRORS"
    assert {e["details"]["api_name"] for e in err["details"]["errors"]} == {asin, sku}


def test_207_mixed_and_error_shapes(api):
    r = api.post(
        "/Contacts",
        json={
            "data": [
                {"Last_Name": "Ok"},
                {"First_Name": "No last"},
                {"Last_Name": "X", "Shoe_Size": 9},
                {"Last_Name": "Y", "Email": "not-an-email"},
            ]
        },
    )
    assert r.status_code == 207
    data = r.json()["data"]
    assert data[0]["status"] == "success"
    assert data[1] == {
        "code": "MANDATORY_NOT_FOUND",
        "details": {"api_name": "Last_Name", "json_path": "$.data[1].Last_Name"},
        "message": "required field not found",
        "status": "error",
    }
    assert data[2]["code"] == "INVALID_DATA"
    assert data[2]["details"] == {"api_name": "Shoe_Size", "json_path": "$.data[2].Shoe_Size"}
    assert data[3]["code"] == "INVALID_DATA"
    assert data[3]["details"]["api_name"] == "Email"

    r = api.post("/Products", json={"data": [{"Product_Code": "no name"}]})
    assert r.status_code == 400
    assert r.json()["data"][0]["code"] == "MANDATORY_NOT_FOUND"


def test_limit_exceeded_over_100(api, zoho_standin):
    r = api.post("/Contacts", json={"data": [{"Last_Name": f"N{i}"} for i in range(101)]})
    assert r.status_code == 400
    assert r.json()["data"][0]["code"] == "LIMIT_EXCEEDED"
    assert r.json()["data"][0]["details"] == {"maximum_length": 100, "api_name": "data"}
    r = api.post("/Contacts", json={"data": [{"Last_Name": f"N{i}"} for i in range(100)]})
    assert r.status_code == 201
    assert zoho_standin.stats.calls[("POST", "insert:Contacts")] == 2


def test_duplicate_data(api):
    order_id = _add_unique(api, "Contacts", "Amazon Order ID")
    r = api.post("/Contacts", json={"data": [{"Last_Name": "A", order_id: "111-1"}]})
    first = r.json()["data"][0]["details"]["id"]
    r = api.post("/Contacts", json={"data": [{"Last_Name": "B", order_id: "111-1"}]})
    assert r.status_code == 400
    err = r.json()["data"][0]
    assert err["code"] == "DUPLICATE_DATA"
    assert err["details"]["api_name"] == order_id
    assert err["details"]["duplicate_record"]["id"] == first
    # Updates collide as well.
    r = api.post("/Contacts", json={"data": [{"Last_Name": "C", order_id: "222-2"}]})
    other = r.json()["data"][0]["details"]["id"]
    r = api.put("/Contacts", json={"data": [{"id": other, order_id: "111-1"}]})
    assert r.json()["data"][0]["code"] == "DUPLICATE_DATA"
    r = api.put(f"/Contacts/{other}", json={"data": [{"Last_Name": "Changed"}]})
    assert r.status_code == 200
    assert r.json()["data"][0]["message"] == "record updated"


def test_lookups_and_types(api):
    pid = _product(api, "Gadget")
    cid = api.post("/Contacts", json={"data": [{"Last_Name": "Buyer"}]}).json()["data"][0][
        "details"
    ]["id"]
    base = {"Subject": "SO", "Contact_Name": {"id": cid}}
    cases = [
        (
            {**base, "Ordered_Items": [{"Product_Name": {"id": pid}, "Quantity": "many"}]},
            "Quantity",
        ),
        ({**base, "Ordered_Items": [{"Product_Name": {"id": cid}, "Quantity": 1}]}, "Product_Name"),
        (
            {**base, "Ordered_Items": [{"Product_Name": {"name": "Gadget"}, "Quantity": 1}]},
            "Product_Name",
        ),
        (
            {**base, "Contact_Name": {"id": pid}, "Ordered_Items": [{"Product_Name": {"id": pid}}]},
            "Contact_Name",
        ),
        (
            {**base, "Contact_Name": cid, "Ordered_Items": [{"Product_Name": {"id": pid}}]},
            "Contact_Name",
        ),
    ]
    r = api.post("/Sales_Orders", json={"data": [c for c, _ in cases]})
    assert r.status_code == 400
    for (_, api_name), result in zip(cases, r.json()["data"], strict=True):
        assert result["code"] == "INVALID_DATA", result
        assert result["details"]["api_name"] == api_name
    assert r.json()["data"][0]["details"]["json_path"] == "$.data[0].Ordered_Items[0].Quantity"
    r = api.post("/Sales_Orders", json={"data": [{"Subject": "no items"}]})
    assert r.json()["data"][0]["code"] == "MANDATORY_NOT_FOUND"
    assert r.json()["data"][0]["details"]["api_name"] == "Ordered_Items"


def test_ordered_items_append_update_delete(api, zoho_standin, zoho_org):
    p1 = _product(api, "P1", 10)
    p2 = _product(api, "P2", 20)
    so_id_field = _add_unique(api, "Sales_Orders", "Amazon Order ID")
    order = {
        "Subject": "Order 111",
        so_id_field: "111",
        "Discount": 5,
        "Tax": 99,  # an amount: recomputed from $line_tax, as Zoho does
        "$line_tax": [{"name": "Sales Tax", "percentage": 5}],
        "Adjustment": 1,
        "Ordered_Items": [
            {
                "Product_Name": {"id": p1, "name": "ignored"},
                "Quantity": 2,
                "List_Price": 10,
                "Discount": 1,
            },
            {
                "Product_Name": {"id": p2},
                "Quantity": 1,
                "Tax": 7,  # an amount on a line: recomputed from Line_Tax
                "Line_Tax": [{"name": "VAT", "percentage": 10}],
            },
        ],
    }
    r = api.post(
        "/Sales_Orders/upsert", json={"data": [order], "duplicate_check_fields": [so_id_field]}
    )
    so = r.json()["data"][0]["details"]["id"]
    rec = api.get(f"/Sales_Orders/{so}").json()["data"][0]
    rows = rec["Ordered_Items"]
    assert [row["Product_Name"]["name"] for row in rows] == ["P1", "P2"]
    assert (rows[0]["Total"], rows[0]["Total_After_Discount"], rows[0]["Net_Total"]) == (
        20.0,
        19.0,
        19.0,
    )
    assert rows[1]["List_Price"] == 20  # defaults to the product's Unit_Price
    assert (rows[1]["Total"], rows[1]["Tax"], rows[1]["Net_Total"]) == (20.0, 2.0, 22.0)
    assert rows[1]["Line_Tax"] == [{"name": "VAT", "percentage": 10.0, "value": 2.0}]
    assert rows[0]["Tax"] == 0  # no Line_Tax: no tax, whatever amount was sent
    assert rec["Sub_Total"] == 41.0
    assert rec["Tax"] == 1.8  # 5 % of Sub_Total − Discount (36), not the 99 sent
    assert rec["Grand_Total"] == 41.0 - 5 + 1.8 + 1
    # Subforms only come back from get-by-id.
    listed = api.get(
        "/Sales_Orders", params={"fields": "Subject,Ordered_Items,Grand_Total"}
    ).json()["data"][0]
    assert "Ordered_Items" not in listed

    # Re-sending the same rows without ids APPENDS them (the trap).
    r = api.post(
        "/Sales_Orders/upsert", json={"data": [order], "duplicate_check_fields": [so_id_field]}
    )
    assert r.json()["data"][0]["action"] == "update"
    rows = api.get(f"/Sales_Orders/{so}").json()["data"][0]["Ordered_Items"]
    assert len(rows) == 4

    # Update a row by id, delete the two appended ones.
    r = api.put(
        "/Sales_Orders",
        json={
            "data": [
                {
                    "id": so,
                    "Ordered_Items": [
                        {"id": rows[0]["id"], "Quantity": 3},
                        {"id": rows[2]["id"], "_delete": None},
                        {"id": rows[3]["id"], "_delete": None},
                    ],
                }
            ]
        },
    )
    assert r.status_code == 200, r.text
    rec = api.get(f"/Sales_Orders/{so}").json()["data"][0]
    assert [row["id"] for row in rec["Ordered_Items"]] == [rows[0]["id"], rows[1]["id"]]
    assert rec["Ordered_Items"][0]["Quantity"] == 3
    assert rec["Sub_Total"] == 29.0 + 22.0
    stored = zoho_standin.records(zoho_org.org_id, "Sales_Orders")[0]
    assert len(stored["Ordered_Items"]) == 2
    # Removing every row is refused.
    r = api.put(
        f"/Sales_Orders/{so}",
        json={
            "data": [
                {"Ordered_Items": [{"id": x["id"], "_delete": None} for x in rec["Ordered_Items"]]}
            ]
        },
    )
    assert r.json()["data"][0]["code"] == "MANDATORY_NOT_FOUND"


def test_list_paging_ids_and_delete(api):
    r = api.get("/Contacts")
    assert r.status_code == 400
    assert r.json()["code"] == "REQUIRED_PARAM_MISSING"
    ids = []
    for chunk in range(3):
        r = api.post(
            "/Contacts", json={"data": [{"Last_Name": f"L{chunk}-{i}"} for i in range(100)]}
        )
        ids += [d["details"]["id"] for d in r.json()["data"]]
    page = api.get("/Contacts", params={"fields": "Last_Name", "per_page": 200}).json()
    assert page["info"]["more_records"] is True
    assert page["info"]["count"] == 200
    assert set(page["data"][0]) == {"id", "Last_Name"}
    page2 = api.get("/Contacts", params={"fields": "Last_Name", "per_page": 200, "page": 2}).json()
    assert page2["info"]["more_records"] is False
    assert len(page2["data"]) == 100
    nxt = api.get(
        "/Contacts", params={"fields": "Last_Name", "page_token": page["info"]["next_page_token"]}
    ).json()
    assert nxt["data"][0]["id"] == ids[200]
    assert api.get("/Contacts", params={"fields": "Last_Name", "per_page": 201}).status_code == 400
    assert (
        api.get("/Contacts", params={"fields": "Last_Name", "page": 11}).json()["code"]
        == "DISCRETE_PAGINATION_LIMIT_EXCEEDED"
    )
    some = api.get("/Contacts", params={"fields": "Last_Name", "ids": ",".join(ids[:3])}).json()[
        "data"
    ]
    assert [x["id"] for x in some] == ids[:3]
    r = api.delete("/Contacts", params={"ids": ",".join(ids[:2])})
    assert r.status_code == 200
    assert api.get(f"/Contacts/{ids[0]}").status_code == 204


def test_search_and_coql_are_gone(api):
    """The product no longer searches or runs COQL; the stand-in answers as for any unknown URL."""
    r = api.get("/Contacts/search", params={"criteria": "(Last_Name:equals:Smith)"})
    assert r.status_code == 404
    assert r.json()["code"] == "INVALID_URL_PATTERN"
    r = api.post("/coql", json={"select_query": "select id from Contacts limit 1"})
    assert r.status_code == 400  # "coql" is read as a module name, as for any unknown module
    assert r.json()["code"] == "INVALID_MODULE"


def test_control_endpoints(api, zoho_standin, zoho_org):
    pid = _product(api, "Viewable <b>")
    api.post(
        "/Sales_Orders",
        json={
            "data": [
                {"Subject": "SO-1", "Ordered_Items": [{"Product_Name": {"id": pid}, "Quantity": 2}]}
            ]
        },
    )
    base = zoho_standin.dc_urls["com"][1]
    orgs = requests.get(f"{base}/_sandbox/orgs", timeout=10).json()["orgs"]
    assert orgs[0]["org_id"] == zoho_org.org_id
    recs = requests.get(
        f"{base}/_sandbox/orgs/{zoho_org.org_id}/records/Sales_Orders", timeout=10
    ).json()["data"]
    assert recs[0]["Ordered_Items"][0]["Quantity"] == 2
    page = requests.get(f"{base}/_sandbox/", timeout=10)
    assert "SO-1" in page.text
    assert "Viewable &lt;b&gt;" in page.text
    stats = requests.get(f"{base}/_sandbox/stats", timeout=10).json()
    assert any(c["route"] == "insert:Sales_Orders" for c in stats["calls"])
    r = requests.post(
        f"{base}/_sandbox/faults",
        json={"status": 500, "count": 1, "path_contains": "/Products"},
        timeout=10,
    )
    assert r.status_code == 201
    r = api.get("/Products", params={"fields": "Product_Name"})
    assert r.status_code == 500
    assert r.json()["code"] == "INTERNAL_ERROR"
    assert api.get("/Products", params={"fields": "Product_Name"}).status_code == 200
