"""Amazon's marketplaces, MWS endpoint hosts and SP-API regions, as Amazon documents them.

The stand-in carries its own table: it describes Amazon, not the product's copy of it.

Hosts: each MWS endpoint host serves the marketplaces whose ``mws_host`` is that host;
``sellingpartnerapi-{na,eu,fe}.amazon.com`` serve the marketplaces of that SP-API region.
A Host header that is not an Amazon host (``127.0.0.1:PORT``) counts as
``mws.amazonservices.com`` / ``sellingpartnerapi-na.amazon.com``.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MWS_HOST = "mws.amazonservices.com"
DEFAULT_SPAPI_HOST = "sellingpartnerapi-na.amazon.com"


@dataclass(frozen=True)
class Marketplace:
    """One Amazon marketplace as Amazon documents it (MWS endpoints, SP-API regions)."""

    marketplace_id: str
    country_code: str
    name: str
    mws_host: str
    spapi_region: str  # "na" | "eu" | "fe"
    currency: str
    language: str
    decimals: int
    tax_percent: int  # sales tax / VAT rate the generated orders carry


_NA, _EU = "mws.amazonservices.com", "mws-eu.amazonservices.com"

MARKETPLACES: dict[str, Marketplace] = {
    m.marketplace_id: m
    for m in [
        Marketplace("ATVPDKIKX0DER", "US", "Amazon.com", _NA, "na", "USD", "en_US", 2, 8),
        Marketplace("A2Q3Y263D00KWC", "BR", "Amazon.com.br", _NA, "na", "BRL", "pt_BR", 2, 17),
        Marketplace("A2EUQ1WTGCTBG2", "CA", "Amazon.ca", "mws.amazonservices.ca", "na", "CAD", "en_CA", 2, 13),
        Marketplace("A1AM78C64UM0Y8", "MX", "Amazon.com.mx", "mws.amazonservices.com.mx", "na", "MXN", "es_MX", 2, 16),
        Marketplace("A2VIGQ35RCS4UG", "AE", "Amazon.ae", "mws.amazonservices.ae", "eu", "AED", "en_AE", 2, 5),
        Marketplace("A1PA6795UKMFR9", "DE", "Amazon.de", _EU, "eu", "EUR", "de_DE", 2, 19),
        Marketplace("ARBP9OOSHTCHU", "EG", "Amazon.eg", _EU, "eu", "EGP", "ar_EG", 2, 14),
        Marketplace("A1RKKUPIHCS9HS", "ES", "Amazon.es", _EU, "eu", "EUR", "es_ES", 2, 21),
        Marketplace("A13V1IB3VIYZZH", "FR", "Amazon.fr", _EU, "eu", "EUR", "fr_FR", 2, 20),
        Marketplace("AMEN7PMS3EDWL", "BE", "Amazon.com.be", _EU, "eu", "EUR", "fr_BE", 2, 21),
        Marketplace("A1F83G8C2ARO7P", "GB", "Amazon.co.uk", _EU, "eu", "GBP", "en_GB", 2, 20),
        Marketplace("APJ6JRA9NG5V4", "IT", "Amazon.it", _EU, "eu", "EUR", "it_IT", 2, 22),
        Marketplace("A1805IZSGTT6HS", "NL", "Amazon.nl", _EU, "eu", "EUR", "nl_NL", 2, 21),
        Marketplace("A1C3SOZRARQ6R3", "PL", "Amazon.pl", _EU, "eu", "PLN", "pl_PL", 2, 23),
        Marketplace("A17E79C6D8DWNP", "SA", "Amazon.sa", _EU, "eu", "SAR", "ar_SA", 2, 15),
        Marketplace("A2NODRKZP88ZB9", "SE", "Amazon.se", _EU, "eu", "SEK", "sv_SE", 2, 25),
        Marketplace("A33AVAJ2PDY3EV", "TR", "Amazon.com.tr", _EU, "eu", "TRY", "tr_TR", 2, 20),
        Marketplace("A21TJRUUN4KGV", "IN", "Amazon.in", "mws.amazonservices.in", "eu", "INR", "en_IN", 2, 18),
        Marketplace("A19VAU5U5O7RUS", "SG", "Amazon.sg", "mws-fe.amazonservices.com", "fe", "SGD", "en_SG", 2, 9),
        Marketplace("A39IBJ37TRP1C6", "AU", "Amazon.com.au", "mws.amazonservices.com.au", "fe", "AUD", "en_AU", 2, 10),
        Marketplace("A1VC38T7YXB528", "JP", "Amazon.co.jp", "mws.amazonservices.jp", "fe", "JPY", "ja_JP", 0, 10),
    ]
}  # fmt: skip

# Rough units of each currency per US dollar, for stable per-currency prices.
FX_PER_USD: dict[str, str] = {
    "USD": "1", "BRL": "5", "CAD": "1.35", "MXN": "17", "AED": "3.67", "EUR": "0.92",
    "EGP": "48", "GBP": "0.79", "PLN": "4", "SAR": "3.75", "SEK": "10.5", "TRY": "32",
    "INR": "83", "SGD": "1.35", "AUD": "1.5", "JPY": "150",
}  # fmt: skip

JP_MARKETPLACE = "A1VC38T7YXB528"


def marketplace(marketplace_id: str) -> Marketplace:
    return MARKETPLACES[marketplace_id]


def currency(marketplace_id: str) -> str:
    return MARKETPLACES[marketplace_id].currency


def language(marketplace_id: str) -> str:
    return MARKETPLACES[marketplace_id].language


def decimals(marketplace_id: str) -> int:
    return MARKETPLACES[marketplace_id].decimals


def tax_percent(marketplace_id: str) -> int:
    return MARKETPLACES[marketplace_id].tax_percent


def domain_name(marketplace_id: str) -> str:
    return "www." + MARKETPLACES[marketplace_id].name.lower()


MWS_HOST_MARKETPLACES: dict[str, frozenset[str]] = {}
for _m in MARKETPLACES.values():
    MWS_HOST_MARKETPLACES[_m.mws_host] = MWS_HOST_MARKETPLACES.get(_m.mws_host, frozenset()) | {
        _m.marketplace_id
    }

SPAPI_HOST_REGION = {f"sellingpartnerapi-{r}.amazon.com": r for r in ("na", "eu", "fe")}
SPAPI_REGION_MARKETPLACES: dict[str, frozenset[str]] = {
    r: frozenset(m.marketplace_id for m in MARKETPLACES.values() if m.spapi_region == r)
    for r in ("na", "eu", "fe")
}


def normalise_host(host_header: str | None, *, scheme: str = "https") -> str:
    """Lowercase the Host header and strip a default port (443 for https, 80 for http).

    Both default ports are stripped: the client talks plain HTTP to the stand-in while
    signing for the real https host.
    """
    host = (host_header or "").strip().lower()
    for port in (":443", ":80"):
        if host.endswith(port):
            return host[: -len(port)]
    return host


def _bare(host: str) -> str:
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def mws_host_for(host: str) -> str:
    """The MWS endpoint host a (normalised) Host header stands for."""
    bare = _bare(host)
    return bare if bare in MWS_HOST_MARKETPLACES else DEFAULT_MWS_HOST


def mws_marketplaces_for(host: str) -> frozenset[str]:
    return MWS_HOST_MARKETPLACES[mws_host_for(host)]


def spapi_region_for(host: str) -> str:
    bare = _bare(host)
    if bare.startswith("sandbox."):
        bare = bare.removeprefix("sandbox.")
    return SPAPI_HOST_REGION.get(bare, "na")


def is_spapi_host(host: str) -> bool:
    bare = _bare(host).removeprefix("sandbox.")
    return bare in SPAPI_HOST_REGION
