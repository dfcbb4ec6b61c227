"""The Contact key: who a buyer is, without saying who the buyer is.

Amazon gives a buyer identity only as the anonymised relay alias of FBM orders (Orders
v2026 ``buyer.buyerEmail``; MWS/v0 ``BuyerEmail``), a per seller–buyer address that Amazon's
Data Protection Policy counts as PII. So a Contact is keyed on ``HMAC-SHA256(per-tenant
secret, normalised alias)``: stable for the same buyer (a later order finds the contact
after the alias and the name were removed), useless to anyone without the tenant's secret
(it cannot be reversed or matched against a list of addresses), and different per tenant.

Orders without an alias go to one anonymous contact per marketplace
(``amazon-customer:A1PA6795UKMFR9``, shown as "Amazon Customer (Amazon.de)"), or, when the
seller chose it in Settings, to one contact per order (``amazon-order:305-…``). Neither key
holds PII: a marketplace id and an Amazon Order ID are not buyer data.

This module is pure (no database); ``keyer_for_tenant`` in ``crm_sync.services.
data_protection_settings`` builds a keyer from a tenant's stored secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from amazon_ext.amazon.marketplaces import MARKETPLACES
from amazon_ext.amazon.types import Order

HASH_PREFIX = "bk1:"  # versioned, so a future scheme can live beside this one
ANONYMOUS_PREFIX = "amazon-customer:"
PER_ORDER_PREFIX = "amazon-order:"
ANONYMOUS_NAME = "Amazon Customer"

PER_MARKETPLACE = "marketplace"
PER_ORDER = "order"


def new_secret() -> str:
    """A fresh per-tenant HMAC secret (256 bits)."""
    return secrets.token_urlsafe(32)


def normalise_alias(alias: str) -> str:
    """Amazon's relay addresses differ only in case between answers; whitespace is noise."""
    return alias.strip().lower()


def is_hashed(key: str) -> bool:
    """True for the key of an identified buyer (the others are anonymous or per order)."""
    return key.startswith(HASH_PREFIX)


def marketplace_label(marketplace_id: str | None) -> str:
    """ "Amazon.de" for A1PA6795UKMFR9; the id itself when we do not know the marketplace."""
    known = MARKETPLACES.get(marketplace_id or "")
    return known.name if known else (marketplace_id or "Amazon")


def anonymous_name(key: str) -> str:
    """The contact's display name for a key that names no buyer, e.g. "Amazon Customer
    (Amazon.de)" or "Amazon Customer (order 305-1234567-1234567)"."""
    if key.startswith(ANONYMOUS_PREFIX):
        return f"{ANONYMOUS_NAME} ({marketplace_label(key.removeprefix(ANONYMOUS_PREFIX))})"
    if key.startswith(PER_ORDER_PREFIX):
        return f"{ANONYMOUS_NAME} (order {key.removeprefix(PER_ORDER_PREFIX)})"
    return ANONYMOUS_NAME


@dataclass(frozen=True)
class BuyerKeyer:
    """Computes Contact keys for one tenant. ``secret`` is the tenant's HMAC secret;
    ``anonymous`` is ``PER_MARKETPLACE`` or ``PER_ORDER`` (the seller's Settings choice)."""

    secret: str
    anonymous: str = PER_MARKETPLACE
    # Amazon Order ID → key, for orders whose alias was removed with their buyer data: a
    # re-read of such an order still belongs to its buyer's contact.
    known: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.secret:
            raise ValueError("a buyer keyer needs the tenant's secret")
        if self.anonymous not in (PER_MARKETPLACE, PER_ORDER):
            raise ValueError(f"unknown anonymous contact mode {self.anonymous!r}")

    def __repr__(self) -> str:  # never print the secret
        return f"BuyerKeyer(anonymous={self.anonymous!r})"

    @classmethod
    def throwaway(cls) -> BuyerKeyer:
        """A keyer with a random secret, for checks that map an order and discard the keys
        (e.g. whether an order can be mapped at all)."""
        return cls(new_secret())

    def of_alias(self, alias: str) -> str:
        digest = hmac.new(
            self.secret.encode(), normalise_alias(alias).encode(), hashlib.sha256
        ).hexdigest()
        return HASH_PREFIX + digest

    def remembering(self, known: Mapping[str, str]) -> BuyerKeyer:
        """This keyer, with the keys of these orders fixed (see ``known``)."""
        return replace(self, known={**self.known, **known})

    def key(self, order: Order) -> str:
        """The order's Contact key: the alias's hash, else the anonymous contact's key."""
        remembered = self.known.get(order.amazon_order_id)
        if remembered:
            return remembered
        if order.buyer_email and order.buyer_email.strip():
            return self.of_alias(order.buyer_email)
        if self.anonymous == PER_ORDER:
            return PER_ORDER_PREFIX + order.amazon_order_id
        return ANONYMOUS_PREFIX + (order.marketplace_id or "unknown")
