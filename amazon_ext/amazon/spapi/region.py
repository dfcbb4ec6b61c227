"""Which SP-API host serves a seller's marketplaces: one connection serves one region."""

from __future__ import annotations

from collections.abc import Sequence

from amazon_ext.amazon.errors import AmazonCredentialError
from amazon_ext.amazon.marketplaces import SPAPI_ENDPOINTS, marketplace_for


def region_host(marketplace_ids: Sequence[str]) -> tuple[str, AmazonCredentialError | None]:
    """The SP-API host of the marketplaces' region, or the error to raise on first use
    (with the form field to fix)."""
    default = SPAPI_ENDPOINTS["na"].removeprefix("https://")
    if not marketplace_ids:
        return default, AmazonCredentialError(
            "Enter at least one Marketplace ID, e.g. ATVPDKIKX0DER.", field="marketplace_id_1"
        )
    region = None
    for position, marketplace_id in enumerate(marketplace_ids, 1):
        marketplace = marketplace_for(marketplace_id)
        if marketplace is None:
            return default, AmazonCredentialError(
                f"{marketplace_id} is not an Amazon Marketplace ID.",
                field=f"marketplace_id_{position}",
            )
        if region is not None and marketplace.spapi_region != region:
            return default, AmazonCredentialError(
                f"Marketplace {marketplace_id} is in the SP-API "
                f"{marketplace.spapi_region.upper()} region, the first one in "
                f"{region.upper()}; one connection serves one region.",
                field=f"marketplace_id_{position}",
            )
        region = marketplace.spapi_region
    return SPAPI_ENDPOINTS[region].removeprefix("https://"), None
