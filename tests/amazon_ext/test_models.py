"""AmazonCredentials.SECRET_FIELDS is the one list of secret fields the forms, the admin and
the credentials service use: it must name exactly the encrypted columns."""

from amazon_ext.models import AmazonCredentials
from tenants.encryption import EncryptedSecretField


def test_secret_fields_are_exactly_the_encrypted_columns():
    encrypted = {
        f.name for f in AmazonCredentials._meta.fields if isinstance(f, EncryptedSecretField)
    }
    assert set(AmazonCredentials.SECRET_FIELDS) == encrypted
    assert len(AmazonCredentials.SECRET_FIELDS) == len(encrypted)
