"""Encryption at rest for secrets (Amazon credentials, Zoho tokens).

Keys come from settings.FIELD_ENCRYPTION_KEYS (MultiFernet: the first key encrypts, every key
decrypts), never from SECRET_KEY, so rotating one does not touch the other.
Values load as ``Secret`` objects that mask themselves in str/repr/templates; only an explicit
``reveal()`` returns the plaintext.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

MASK = "••••"


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


@lru_cache(maxsize=8)
def _fernet_for(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be comma-separated Fernet keys "
            "(generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')."
        ) from exc


def _fernet() -> MultiFernet:
    return _fernet_for(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_text(token: str, *, what: str = "a stored secret") -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretDecryptionError(
            f"Cannot decrypt {what}: none of the keys in FIELD_ENCRYPTION_KEYS fits. "
            "Restore the key it was saved with, or enter the value again."
        ) from None


def rotate_token(token: str) -> str:
    """Re-encrypt a token under the first (newest) key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretDecryptionError(
            "Cannot rotate a stored secret: none of the keys in FIELD_ENCRYPTION_KEYS fits."
        ) from None


def mask(plaintext: str) -> str:
    """``••••1a2b``: the last four characters only when the value is long enough to keep
    most of it hidden."""
    if not plaintext:
        return ""
    return MASK + plaintext[-4:] if len(plaintext) >= 12 else MASK


class Secret:
    """A decrypted-on-demand secret. Printing, formatting or rendering it shows the mask."""

    __slots__ = ("_ciphertext", "_label")

    def __init__(self, ciphertext: str, label: str = "a stored secret") -> None:
        self._ciphertext = ciphertext
        self._label = label

    @classmethod
    def from_plaintext(cls, plaintext: str, label: str = "a stored secret") -> Secret:
        return cls(encrypt_text(plaintext), label)

    @property
    def ciphertext(self) -> str:
        return self._ciphertext

    def reveal(self) -> str:
        return decrypt_text(self._ciphertext, what=self._label)

    @property
    def masked(self) -> str:
        try:
            return mask(self.reveal())
        except SecretDecryptionError:
            return MASK + " (cannot decrypt)"

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    def __bool__(self) -> bool:
        return bool(self._ciphertext)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self.reveal() == other.reveal()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._ciphertext)


class _SecretDescriptor:
    """Wraps plaintext assigned to the attribute into a Secret at once, so an unsaved
    instance never holds the plaintext in a printable attribute."""

    def __init__(self, field: EncryptedSecretField) -> None:
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return instance.__dict__.get(self.field.attname, "")

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = self.field.to_python(value)


class EncryptedSecretField(models.TextField):
    """A text column holding Fernet ciphertext; the Python value is a ``Secret`` (or "")."""

    description = "An encrypted secret"

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.attname, _SecretDescriptor(self))

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return Secret(value, label=str(self.verbose_name))

    def to_python(self, value):
        if value in (None, "") or isinstance(value, Secret):
            return value
        return Secret.from_plaintext(str(value), label=str(self.verbose_name))

    def get_prep_value(self, value):
        if value in (None, ""):
            return value
        if isinstance(value, Secret):
            return value.ciphertext
        return encrypt_text(str(value))

    def value_to_string(self, obj) -> str:
        # Serialisation (dumpdata) writes ciphertext, never plaintext.
        value = self.value_from_object(obj)
        return value.ciphertext if isinstance(value, Secret) else (value or "")
