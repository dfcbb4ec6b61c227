"""Signature Version 2: the published vectors of ../shared/specs/amazon-apis.md §2."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qsl

import pytest

from amazon_ext.amazon import signing

# Amazon's Product Advertising API Developer Guide 2011-08-01, "Example REST Requests":
# the same SigV2 procedure MWS uses.
PAAPI_SECRET = "1234567890"
MWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _params(query: str) -> list[tuple[str, str]]:
    """Decode an already-canonical query back to raw pairs, so signing re-encodes them."""
    return parse_qsl(query, keep_blank_values=True)


def test_paapi_itemlookup_vector():
    query = (
        "AWSAccessKeyId=00000000000000000000&ItemId=0679722769&Operation=ItemLookup"
        "&ResponseGroup=ItemAttributes%2COffers%2CImages%2CReviews&Service=AWSECommerceService"
        "&Timestamp=2009-01-01T12%3A00%3A00Z&Version=2009-01-06"
    )
    text = signing.string_to_sign(
        verb="GET", host="webservices.amazon.com", path="/onca/xml", params=_params(query)
    )
    assert text == f"GET\nwebservices.amazon.com\n/onca/xml\n{query}"
    assert signing.sign(PAAPI_SECRET, text) == "Nace+U3Az4OhN7tISqgs1vdLBHBEijWcBeCqL5xN9xg="


def test_paapi_itemsearch_vector_encodes_space_as_percent20():
    params = {
        "Service": "AWSECommerceService",
        "AWSAccessKeyId": "00000000000000000000",
        "Operation": "ItemSearch",
        "Actor": "Johnny Depp",
        "ResponseGroup": "ItemAttributes,Offers,Images,Reviews,Variations",
        "Version": "2009-01-01",
        "SearchIndex": "DVD",
        "Sort": "salesrank",
        "AssociateTag": "mytag-20",
        "Timestamp": "2009-01-01T12:00:00Z",
    }
    text = signing.string_to_sign(
        verb="GET", host="ecs.amazonaws.co.uk", path="/onca/xml", params=params
    )
    assert "Actor=Johnny%20Depp" in text
    assert signing.sign(PAAPI_SECRET, text) == "TuM6E5L9u/uNqOX09ET03BXVmHLVFfJIna5cxXuHxiU="


MWS_LIST_ORDERS = {
    "AWSAccessKeyId": "AKIAEXAMPLEKEY",
    "Action": "ListOrders",
    "CreatedAfter": "2017-02-01T18:12:21Z",
    "MWSAuthToken": "amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE",
    "MarketplaceId.Id.1": "ATVPDKIKX0DER",
    "MarketplaceId.Id.2": "A2EUQ1WTGCTBG2",
    "SellerId": "A1EXAMPLESELLER",
    "SignatureMethod": "HmacSHA256",
    "SignatureVersion": "2",
    "Timestamp": "2017-02-05T18:12:21Z",
    "Version": "2013-09-01",
}


def test_mws_list_orders_vector_and_byte_order_sort():
    # Insert in reverse so the sort is what puts them right.
    params = dict(reversed(list(MWS_LIST_ORDERS.items())))
    query = signing.canonical_query(params)
    # Byte order: "MWSAuthToken" (uppercase W) precedes "MarketplaceId" (lowercase a).
    assert query.index("MWSAuthToken=") < query.index("MarketplaceId.Id.1=")
    text = signing.string_to_sign(
        verb="POST", host="mws.amazonservices.com", path="/Orders/2013-09-01", params=params
    )
    assert signing.sign(MWS_SECRET, text) == "8dE7dVk2AOy7egqaeK5G9gEcg2Mvg0sk6xCu0yeO1B8="


def test_mws_encoding_vector():
    params = {
        "AWSAccessKeyId": "AKIAEXAMPLEKEY",
        "Action": "GetOrder",
        "AmazonOrderId.Id.1": "902-3159896-1390916",
        "SellerId": "A1EXAMPLESELLER",
        "SignatureMethod": "HmacSHA256",
        "SignatureVersion": "2",
        "Timestamp": "2017-02-05T18:12:21Z",
        "Version": "2013-09-01",
        "X-Test": "a b+c/ü~*",
    }
    query = signing.canonical_query(params)
    assert "X-Test=a%20b%2Bc%2F%C3%BC~%2A" in query
    text = signing.string_to_sign(
        verb="POST", host="MWS-EU.amazonservices.com:443", path="/Orders/2013-09-01", params=params
    )
    assert text.split("\n")[1] == "mws-eu.amazonservices.com"
    assert signing.sign(MWS_SECRET, text) == "RU8Dxj/gaqEZdRsuRXRvmkFfjI+CbqDddhs8u9b7obQ="


def test_sign_params_adds_signature_and_ignores_an_existing_one():
    signed = signing.sign_params(
        {**MWS_LIST_ORDERS, "Signature": "stale"},
        secret_key=MWS_SECRET,
        verb="POST",
        host="mws.amazonservices.com",
        path="/Orders/2013-09-01",
    )
    assert signed["Signature"] == "8dE7dVk2AOy7egqaeK5G9gEcg2Mvg0sk6xCu0yeO1B8="


@pytest.mark.parametrize(
    ("host", "scheme", "expected"),
    [
        ("Mws.AmazonServices.com", "https", "mws.amazonservices.com"),
        ("mws.amazonservices.com:443", "https", "mws.amazonservices.com"),
        ("mws.amazonservices.com:80", "http", "mws.amazonservices.com"),
        ("mws.amazonservices.com:8443", "https", "mws.amazonservices.com:8443"),
        ("127.0.0.1:8101", "http", "127.0.0.1:8101"),
    ],
)
def test_canonical_host(host, scheme, expected):
    assert signing.canonical_host(host, scheme) == expected


def test_empty_path_is_slash_and_empty_value_keeps_equals():
    text = signing.string_to_sign(verb="post", host="h", path="", params={"B": "", "A": "1"})
    assert text == "POST\nh\n/\nA=1&B="


def test_iso_timestamp_is_utc_with_z():
    when = datetime(2017, 2, 5, 19, 12, 21, 687000, tzinfo=timezone(timedelta(hours=1)))
    assert signing.iso_timestamp(when) == "2017-02-05T18:12:21Z"
    assert signing.iso_timestamp(datetime(2020, 1, 1, tzinfo=UTC)) == "2020-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="aware"):
        signing.iso_timestamp(datetime(2020, 1, 1))


@pytest.mark.parametrize(
    "params",
    [
        {"Action": "ListOrderItems", "AmazonOrderId": "058-1233752-8214740"},
        {
            "Action": "ListOrders",
            "CreatedAfter": "2020-01-01T00:00:00Z",
            "MarketplaceId.Id.1": "A1",
        },
        {"Action": "ListOrdersByNextToken", "NextToken": "a+b/c=d ü~é", "Timestamp": "x:y"},
        {"Action": "GetServiceStatus", "Z": "", "a": "lower sorts after upper"},
    ],
)
def test_signer_gives_exactly_the_general_procedures_query_and_signature(params):
    """The transport's Signer (key set up once, credentials encoded once) and the published
    procedure (canonical_query + sign over every parameter) agree byte for byte."""
    fixed = {
        "AWSAccessKeyId": "TESTACCESSKEYID00001",
        "SellerId": "A1EXAMPLE",
        "SignatureMethod": signing.SIGNATURE_METHOD,
        "SignatureVersion": signing.SIGNATURE_VERSION,
        "MWSAuthToken": "amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE",
    }
    host, path = "mws.amazonservices.com", "/Orders/2013-09-01"
    signed = signing.Signer(MWS_SECRET, fixed)
    query = signed.signed_query(verb="POST", host=host, path=path, params=params)
    everything = {**fixed, **params}
    text = signing.string_to_sign(verb="POST", host=host, path=path, params=everything)
    expected = signing.canonical_query(everything)
    assert query == f"{expected}&Signature={signing.rfc3986(signing.sign(MWS_SECRET, text))}"
    assert MWS_SECRET not in repr(signed) and "TESTACCESSKEYID00001" not in repr(signed)
    with pytest.raises(ValueError, match="cannot replace the credentials"):
        signed.signed_query(verb="POST", host=host, path=path, params={"SellerId": "other"})
