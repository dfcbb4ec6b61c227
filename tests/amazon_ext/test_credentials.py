"""Validation of the manual's seven fields, and all-or-nothing saving."""

import pytest

from amazon_ext.models import AmazonCredentials
from amazon_ext.services.credentials import credentials_for, credentials_save
from amazon_ext.validation import CredentialsInvalidError, clean_marketplace_ids

GOOD = {
    "access_key": " SANDBOXACCESSKEY0001 ",
    "seller_id": "a2x13y8357wgya",
    "secret_key": "sandboxSecretKey/abcdefghij1234567890+=",
    "mws_auth_token": "amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE",
    "marketplace_id_1": "ATVPDKIKX0DER",
    "marketplace_id_2": "A2Q3Y263D00KWC",
    "marketplace_id_3": "",
}


def test_unknown_marketplace_is_named():
    _, errors = clean_marketplace_ids(["ATVPDKIKX0DER", "NOTAMARKET1"])
    assert "NOTAMARKET1 is not an Amazon marketplace ID" in errors["marketplace_id_2"]


def test_repeated_marketplace_is_refused():
    _, errors = clean_marketplace_ids(["ATVPDKIKX0DER", "atvpdkikx0der"])
    assert errors == {"marketplace_id_2": "ATVPDKIKX0DER is entered twice."}


def test_marketplaces_of_two_endpoints_are_refused_naming_the_offender():
    _, errors = clean_marketplace_ids(["ATVPDKIKX0DER", "A1PA6795UKMFR9"])
    message = errors["marketplace_id_2"]
    assert "A1PA6795UKMFR9 (Amazon.de) is served by mws-eu.amazonservices.com" in message
    assert "ATVPDKIKX0DER (Amazon.com) is served by mws.amazonservices.com" in message


def test_spapi_groups_by_region_not_endpoint():
    ids, errors = clean_marketplace_ids(["A1PA6795UKMFR9", "A21TJRUUN4KGV"], kind="spapi")
    assert errors == {} and ids == ["A1PA6795UKMFR9", "A21TJRUUN4KGV"]
    _, errors = clean_marketplace_ids(["A1PA6795UKMFR9", "ATVPDKIKX0DER"], kind="spapi")
    assert "one connection serves one region" in errors["marketplace_id_2"]


def test_more_than_three_is_refused():
    _, errors = clean_marketplace_ids(["ATVPDKIKX0DER"] * 4)
    assert "at most 3" in errors["marketplace_ids"]


@pytest.mark.django_db
def test_good_input_is_trimmed_and_saved(tenant):
    creds = credentials_save(tenant=tenant, data=GOOD)
    assert creds.seller_id == "A2X13Y8357WGYA"
    assert creds.marketplace_ids == ["ATVPDKIKX0DER", "A2Q3Y263D00KWC"]
    assert creds.access_key.reveal() == "SANDBOXACCESSKEY0001"


@pytest.mark.django_db
def test_half_valid_input_saves_nothing_and_lists_every_problem(tenant):
    bad = {**GOOD, "secret_key": "short", "marketplace_id_2": "A1PA6795UKMFR9"}
    with pytest.raises(CredentialsInvalidError) as caught:
        credentials_save(tenant=tenant, data=bad)
    assert set(caught.value.errors) == {"secret_key", "marketplace_id_2"}
    assert "short" not in str(caught.value)  # the typed secret is not echoed
    assert not AmazonCredentials.objects.filter(tenant=tenant).exists()


@pytest.mark.django_db
def test_blank_secret_on_edit_keeps_the_stored_value(tenant):
    credentials_save(tenant=tenant, data=GOOD)
    credentials_save(tenant=tenant, data={**GOOD, "secret_key": "", "marketplace_id_2": ""})
    creds = credentials_for(tenant=tenant)
    assert creds.secret_key.reveal() == GOOD["secret_key"]
    assert creds.marketplace_ids == ["ATVPDKIKX0DER"]


@pytest.mark.django_db
def test_failed_verification_saves_nothing(tenant):
    def refuse(_credentials):
        raise CredentialsInvalidError({"secret_key": "Amazon rejected the Secret Key."})

    with pytest.raises(CredentialsInvalidError):
        credentials_save(tenant=tenant, data=GOOD, verify=refuse)
    assert credentials_for(tenant=tenant) is None


@pytest.mark.django_db
def test_tenants_cannot_see_each_others_credentials(tenant, other_tenant):
    credentials_save(tenant=tenant, data=GOOD)
    assert credentials_for(tenant=other_tenant) is None


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("access_key", "A" * 129, "16 to 128"),
        ("secret_key", "s" * 129, "20 to 128"),
    ],
)
def test_over_long_keys_are_reported_with_the_real_limit(field, value, limit):
    from amazon_ext.validation import CredentialsInvalidError, clean_credentials

    data = {
        "seller_id": "A2X13Y8357WGYA",
        "marketplace_id_1": "ATVPDKIKX0DER",
        "access_key": "ABCDEFGHIJKLMNOP0001",
        "secret_key": "s" * 40,
        "mws_auth_token": "amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE",
        field: value,
    }
    with pytest.raises(CredentialsInvalidError) as caught:
        clean_credentials(data, kind="mws", has_stored_secrets=False)
    assert limit in caught.value.errors[field]
