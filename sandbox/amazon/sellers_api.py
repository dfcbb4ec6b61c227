"""Sellers API v1 and the Product Fees API v0's getMyFeesEstimateForASIN, as far as the
product uses them to check who a refresh token belongs to.

Models (amzn/selling-partner-api-models @34dc93fe45f3):

* ``models/sellers-api-model/sellers.json``: ``GET /sellers/v1/marketplaceParticipations``
  (0.016 req/s, burst 15) → ``{"payload": [MarketplaceParticipation]}``, each with
  ``marketplace{id, name, countryCode, defaultCurrencyCode, defaultLanguageCode, domainName}``,
  ``participation{isParticipating, hasSuspendedListings}`` and ``storeName``. No seller id.
* ``models/product-fees-api-model/productFeesV0.json``:
  ``POST /products/fees/v0/items/{Asin}/feesEstimate`` (1 req/s, burst 2) →
  ``{"payload": {"FeesEstimateResult": {"Status", "FeesEstimateIdentifier": {"MarketplaceId",
  "SellerId", "IdType", "IdValue", "IsAmazonFulfilled", "PriceToEstimateFees",
  "SellerInputIdentifier"}, ...}}}`` — the one answer that names the token's seller
  (FeesEstimateIdentifier.SellerId, "The seller identifier"; shown for a ClientError
  estimate too in selling-partner-api-docs#492). The stand-in estimates no real fees.

The token decides everything: the seller is the grant's, never a parameter of the request.
"""

from __future__ import annotations

import json
import re

from sandbox.amazon import regions
from sandbox.amazon.sperror import SpError

GET_PARTICIPATIONS = "getMarketplaceParticipations"
GET_FEES_FOR_ASIN = "getMyFeesEstimateForASIN"
PARTICIPATIONS_PATH = "/sellers/v1/marketplaceParticipations"
FEES_PATH = re.compile(r"^/products/fees/v0/items/([^/]+)/feesEstimate$")
RATE_LIMITS = {
    GET_PARTICIPATIONS: (0.016, 15, "0.016"),
    GET_FEES_FOR_ASIN: (1.0, 2, "1.0"),
}


def owns(path: str) -> bool:
    return path == PARTICIPATIONS_PATH or FEES_PATH.match(path) is not None


def operation(method: str, path: str) -> tuple[str, str | None] | None:
    if path == PARTICIPATIONS_PATH and method == "GET":
        return GET_PARTICIPATIONS, None
    match = FEES_PATH.match(path)
    if match and method == "POST":
        return GET_FEES_FOR_ASIN, match.group(1)
    return None


def participations(ctx) -> dict:
    """The seller's marketplaces of the region the request went to."""
    payload = []
    for marketplace_id in ctx.seller.marketplace_ids:
        if marketplace_id not in ctx.region_mps:
            continue
        m = regions.marketplace(marketplace_id)
        payload.append(
            {
                "marketplace": {
                    "id": marketplace_id,
                    "name": m.name,
                    "countryCode": m.country_code,
                    "defaultCurrencyCode": m.currency,
                    "defaultLanguageCode": m.language.split("_")[0],
                    "domainName": regions.domain_name(marketplace_id),
                },
                "participation": {"isParticipating": True, "hasSuspendedListings": False},
                "storeName": f"Sandbox store {ctx.seller.seller_id[-4:]}",
            }
        )
    return {"payload": payload}


def fees_estimate(ctx, asin: str) -> dict:
    try:
        body = json.loads(ctx.request.get_data() or b"{}")
        request = body["FeesEstimateRequest"]
        marketplace_id = request["MarketplaceId"]
        price = request["PriceToEstimateFees"]
        identifier = request["Identifier"]
    except (ValueError, KeyError, TypeError):
        raise SpError(400, "InvalidInput", "Invalid FeesEstimateRequest") from None
    if marketplace_id not in ctx.region_mps:
        raise SpError(400, "InvalidInput", f"Invalid MarketplaceId: {marketplace_id}")
    return {
        "payload": {
            "FeesEstimateResult": {
                "Status": "ClientError",
                "FeesEstimateIdentifier": {
                    "MarketplaceId": marketplace_id,
                    "IdType": "ASIN",
                    "SellerId": ctx.seller.seller_id,
                    "SellerInputIdentifier": identifier,
                    "IsAmazonFulfilled": bool(request.get("IsAmazonFulfilled")),
                    "IdValue": asin,
                    "PriceToEstimateFees": price,
                },
                "Error": {
                    "Type": "Sender",
                    "Code": "InvalidParameterValue",
                    "Message": "The stand-in estimates no fees.",
                    "Detail": [],
                },
            }
        }
    }
