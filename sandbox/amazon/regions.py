"""Marketplace facts the stand-in needs beyond amazon_ext.amazon.marketplaces.

Hosts: each MWS endpoint host serves the marketplaces whose ``mws_endpoint`` is that host;
``sellingpartnerapi-{na,eu,fe}.amazon.com`` serve the marketplaces of that SP-API region.
A Host header that is not an Amazon host (``127.0.0.1:PORT``) counts as
``mws.amazonservices.com`` / ``sellingpartnerapi-na.amazon.com``.
"""

from __future__ import annotations

from amazon_ext.amazon.marketplaces import MARKETPLACES, Marketplace

DEFAULT_MWS_HOST = "mws.amazonservices.com"
DEFAULT_SPAPI_HOST = "sellingpartnerapi-na.amazon.com"

# marketplace id -> (currency, language, decimal places, sales tax rate in percent)
_FACTS: dict[str, tuple[str, str, int, int]] = {
    "ATVPDKIKX0DER": ("USD", "en_US", 2, 8),
    "A2Q3Y263D00KWC": ("BRL", "pt_BR", 2, 17),
    "A2EUQ1WTGCTBG2": ("CAD", "en_CA", 2, 13),
    "A1AM78C64UM0Y8": ("MXN", "es_MX", 2, 16),
    "A2VIGQ35RCS4UG": ("AED", "en_AE", 2, 5),
    "A1PA6795UKMFR9": ("EUR", "de_DE", 2, 19),
    "ARBP9OOSHTCHU": ("EGP", "ar_EG", 2, 14),
    "A1RKKUPIHCS9HS": ("EUR", "es_ES", 2, 21),
    "A13V1IB3VIYZZH": ("EUR", "fr_FR", 2, 20),
    "AMEN7PMS3EDWL": ("EUR", "fr_BE", 2, 21),
    "A1F83G8C2ARO7P": ("GBP", "en_GB", 2, 20),
    "APJ6JRA9NG5V4": ("EUR", "it_IT", 2, 22),
    "A1805IZSGTT6HS": ("EUR", "nl_NL", 2, 21),
    "A1C3SOZRARQ6R3": ("PLN", "pl_PL", 2, 23),
    "A17E79C6D8DWNP": ("SAR", "ar_SA", 2, 15),
    "A2NODRKZP88ZB9": ("SEK", "sv_SE", 2, 25),
    "A33AVAJ2PDY3EV": ("TRY", "tr_TR", 2, 20),
    "A21TJRUUN4KGV": ("INR", "en_IN", 2, 18),
    "A19VAU5U5O7RUS": ("SGD", "en_SG", 2, 9),
    "A39IBJ37TRP1C6": ("AUD", "en_AU", 2, 10),
    "A1VC38T7YXB528": ("JPY", "ja_JP", 0, 10),
}

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
    return _FACTS[marketplace_id][0]


def language(marketplace_id: str) -> str:
    return _FACTS[marketplace_id][1]


def decimals(marketplace_id: str) -> int:
    return _FACTS[marketplace_id][2]


def tax_percent(marketplace_id: str) -> int:
    return _FACTS[marketplace_id][3]


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
