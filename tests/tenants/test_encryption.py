"""Secrets are unreadable in the database, rotate between keys, and fail loudly."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from amazon_ext.models import AmazonCredentials
from tenants.encryption import SecretDecryptionError
from tests.factories import MwsCredentialsFactory

SECRET = "sandboxSecretKey/abcdefghij1234567890+="


def raw_column(pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM amazon_ext_amazoncredentials WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_saved_secret_is_not_readable_in_the_raw_column():
    creds = MwsCredentialsFactory(secret_key=SECRET)
    raw = raw_column(creds.pk, "secret_key")
    assert SECRET not in raw
    assert "1234567890" not in raw
    assert raw.startswith("gAAAAA")  # a Fernet token
    assert AmazonCredentials.objects.get(pk=creds.pk).secret_key.reveal() == SECRET


@pytest.mark.django_db
def test_secret_is_masked_in_str_repr_and_format():
    creds = AmazonCredentials.objects.get(pk=MwsCredentialsFactory(secret_key=SECRET).pk)
    for shown in (
        str(creds.secret_key),
        repr(creds.secret_key),
        f"{creds.secret_key}",
        repr(creds),
    ):
        assert SECRET not in shown
    assert str(creds.secret_key) == "••••90+="


@pytest.mark.django_db
def test_rotation_with_two_keys_then_old_key_removed(settings):
    old_key, new_key = settings.FIELD_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    creds = MwsCredentialsFactory(secret_key=SECRET)
    before = raw_column(creds.pk, "secret_key")

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_field_keys", stdout=(out := __import__("io").StringIO()))
    assert "Rotated 1 rows" in out.getvalue()
    after = raw_column(creds.pk, "secret_key")
    assert after != before

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    reloaded = AmazonCredentials.objects.get(pk=creds.pk)
    assert reloaded.secret_key.reveal() == SECRET
    assert reloaded.mws_auth_token.reveal() == "amzn.mws.4ea38b7b-f563-7709-4bae-87aeaEXAMPLE"


@pytest.mark.django_db
def test_wrong_key_gives_a_clear_error_not_ciphertext(settings):
    creds = MwsCredentialsFactory(secret_key=SECRET)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    reloaded = AmazonCredentials.objects.get(pk=creds.pk)
    with pytest.raises(SecretDecryptionError, match="Secret Key.*FIELD_ENCRYPTION_KEYS"):
        reloaded.secret_key.reveal()
    assert "cannot decrypt" in reloaded.secret_key.masked


@pytest.mark.django_db
def test_rotation_refuses_when_a_row_cannot_be_decrypted(settings):
    MwsCredentialsFactory(secret_key=SECRET)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot rotate|Cannot rotate"):
        call_command("rotate_field_keys")
