"""Who a refresh token belongs to: the Sellers API and one Product Fees answer.

SP-API has no "who am I" call. What it offers (amzn/selling-partner-api-models @34dc93fe45f3):

* ``getMarketplaceParticipations`` (sellers.json, 0.016 req/s, burst 15): the marketplaces
  the token's seller sells in, with ``participation.isParticipating``. It carries no seller
  id, but it proves the token works and which marketplaces are the seller's.
* ``getMyFeesEstimateForASIN`` (productFeesV0.json, 1 req/s, burst 2): its answer's
  ``FeesEstimateIdentifier.SellerId`` ("The seller identifier") is the token's seller, even
  for an estimate Amazon refuses as a ClientError (selling-partner-api-docs#492). It needs the
  app's Pricing role; without it Amazon answers 403 and the id cannot be compared.
* (``getAccount`` returns the business name and address: buyer-free but personal, not used.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from amazon_ext.amazon.errors import AmazonCredentialError
from amazon_ext.amazon.marketplaces import marketplace_for
from amazon_ext.amazon.spapi.json_reader import JsonReader, load_json
from amazon_ext.amazon.spapi.operations import (
    GET_FEES_FOR_ASIN,
    GET_PARTICIPATIONS,
    PARTICIPATIONS_PATH,
)
from amazon_ext.amazon.spapi.transport import SpApiTransport, TokenProvider

# Any ASIN will do: only the identifier of the answer is read (an ASIN from Amazon's own
# productFeesV0.json example request).
PROBE_ASIN = "B00V5DG6IQ"
CURRENCY_BY_COUNTRY = {
    "US": "USD", "BR": "BRL", "CA": "CAD", "MX": "MXN", "AE": "AED", "DE": "EUR", "EG": "EGP",
    "ES": "EUR", "FR": "EUR", "BE": "EUR", "GB": "GBP", "IT": "EUR", "NL": "EUR", "PL": "PLN",
    "SA": "SAR", "SE": "SEK", "TR": "TRY", "IN": "INR", "SG": "SGD", "AU": "AUD", "JP": "JPY",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SellerCheck:
    """What Amazon said about the token: the marketplaces it sells in, and its seller id if
    an answer named it (None: the app lacks the role that would show it)."""

    participating: frozenset[str]
    token_seller_id: str | None


def participating_marketplaces(transport: SpApiTransport, token: TokenProvider) -> frozenset[str]:
    body, request_id = transport.call(GET_PARTICIPATIONS, PARTICIPATIONS_PATH, token=token)
    r = JsonReader(request_id, GET_PARTICIPATIONS)
    data = load_json(body, request_id=request_id, what=GET_PARTICIPATIONS)
    entries = data.get("payload")
    if not isinstance(entries, list):
        raise r.fail("payload is not a list")
    found = set()
    for entry in entries:
        marketplace = r.obj(entry, "marketplace") if isinstance(entry, dict) else None
        participation = r.obj(entry, "participation") or {}
        if marketplace and participation.get("isParticipating") is True:
            found.add(r.required(marketplace, "id", "a marketplace"))
    return frozenset(found)


def token_seller_id(
    transport: SpApiTransport, token: TokenProvider, marketplace_id: str
) -> str | None:
    """The seller id Amazon's fee estimate names, or None if the app may not ask (403)."""
    market = marketplace_for(marketplace_id)
    currency = CURRENCY_BY_COUNTRY.get(market.country_code if market else "", "USD")
    request = {
        "FeesEstimateRequest": {
            "MarketplaceId": marketplace_id,
            "IsAmazonFulfilled": False,
            "PriceToEstimateFees": {"ListingPrice": {"CurrencyCode": currency, "Amount": 10}},
            "Identifier": "seller-check",
        }
    }
    try:
        body, request_id = transport.call(
            GET_FEES_FOR_ASIN,
            f"/products/fees/v0/items/{PROBE_ASIN}/feesEstimate",
            token=token,
            json_body=json.dumps(request),
        )
    except AmazonCredentialError:
        return None  # the token worked for the Sellers API: this app lacks the Pricing role
    r = JsonReader(request_id, GET_FEES_FOR_ASIN)
    data = load_json(body, request_id=request_id, what=GET_FEES_FOR_ASIN)
    result = r.obj(r.obj(data, "payload") or {}, "FeesEstimateResult") or {}
    return r.text(r.obj(result, "FeesEstimateIdentifier") or {}, "SellerId")


def check_seller(
    transport: SpApiTransport,
    token: TokenProvider,
    *,
    seller_id: str,
    marketplace_ids: list[str],
) -> SellerCheck:
    """Raise AmazonCredentialError (field ``seller_id`` or the marketplace's) unless the token
    sells in every configured marketplace and, where Amazon names its seller, is ``seller_id``'s."""
    participating = participating_marketplaces(transport, token)
    for position, marketplace_id in enumerate(marketplace_ids, 1):
        if marketplace_id not in participating:
            raise AmazonCredentialError(
                f"Amazon says the authorized seller does not sell in {marketplace_id}; "
                "nothing was saved. Check the Marketplace IDs, or authorize with the selling "
                "account that sells there.",
                field=f"marketplace_id_{position}",
                code="NotParticipating",
            )
    named = token_seller_id(transport, token, marketplace_ids[0])
    if named is not None and named != seller_id:
        raise AmazonCredentialError(
            f"The Seller ID {seller_id[:20]} is not the seller Amazon authorized "
            f"({named[:20]}); nothing was saved. Authorize again from Settings.",
            field="seller_id",
            code="SellerMismatch",
        )
    return SellerCheck(participating=participating, token_seller_id=named)
