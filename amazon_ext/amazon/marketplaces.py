"""Amazon marketplaces, their MWS endpoints and SP-API regions.

Source: ../shared/specs/amazon-apis.md §2 (MWS DG_Endpoints) and §5 (SP-API endpoints).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Marketplace:
    marketplace_id: str
    country_code: str
    name: str
    mws_endpoint: str
    spapi_region: str  # "na" | "eu" | "fe"

    @property
    def mws_host(self) -> str:
        return self.mws_endpoint.removeprefix("https://")


_NA_COM = "https://mws.amazonservices.com"
_EU = "https://mws-eu.amazonservices.com"

MARKETPLACES: dict[str, Marketplace] = {
    m.marketplace_id: m
    for m in [
        Marketplace("ATVPDKIKX0DER", "US", "Amazon.com", _NA_COM, "na"),
        Marketplace("A2Q3Y263D00KWC", "BR", "Amazon.com.br", _NA_COM, "na"),
        Marketplace("A2EUQ1WTGCTBG2", "CA", "Amazon.ca", "https://mws.amazonservices.ca", "na"),
        Marketplace(
            "A1AM78C64UM0Y8", "MX", "Amazon.com.mx", "https://mws.amazonservices.com.mx", "na"
        ),
        Marketplace("A2VIGQ35RCS4UG", "AE", "Amazon.ae", "https://mws.amazonservices.ae", "eu"),
        Marketplace("A1PA6795UKMFR9", "DE", "Amazon.de", _EU, "eu"),
        Marketplace("ARBP9OOSHTCHU", "EG", "Amazon.eg", _EU, "eu"),
        Marketplace("A1RKKUPIHCS9HS", "ES", "Amazon.es", _EU, "eu"),
        Marketplace("A13V1IB3VIYZZH", "FR", "Amazon.fr", _EU, "eu"),
        Marketplace("AMEN7PMS3EDWL", "BE", "Amazon.com.be", _EU, "eu"),
        Marketplace("A1F83G8C2ARO7P", "GB", "Amazon.co.uk", _EU, "eu"),
        Marketplace("APJ6JRA9NG5V4", "IT", "Amazon.it", _EU, "eu"),
        Marketplace("A1805IZSGTT6HS", "NL", "Amazon.nl", _EU, "eu"),
        Marketplace("A1C3SOZRARQ6R3", "PL", "Amazon.pl", _EU, "eu"),
        Marketplace("A17E79C6D8DWNP", "SA", "Amazon.sa", _EU, "eu"),
        Marketplace("A2NODRKZP88ZB9", "SE", "Amazon.se", _EU, "eu"),
        Marketplace("A33AVAJ2PDY3EV", "TR", "Amazon.com.tr", _EU, "eu"),
        Marketplace("A21TJRUUN4KGV", "IN", "Amazon.in", "https://mws.amazonservices.in", "eu"),
        Marketplace("A19VAU5U5O7RUS", "SG", "Amazon.sg", "https://mws-fe.amazonservices.com", "fe"),
        Marketplace(
            "A39IBJ37TRP1C6", "AU", "Amazon.com.au", "https://mws.amazonservices.com.au", "fe"
        ),
        Marketplace("A1VC38T7YXB528", "JP", "Amazon.co.jp", "https://mws.amazonservices.jp", "fe"),
    ]
}

SPAPI_ENDPOINTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}


def marketplace_for(marketplace_id: str) -> Marketplace | None:
    return MARKETPLACES.get(marketplace_id)
