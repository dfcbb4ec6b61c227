"""MWS GetServiceStatus (Orders section) and Sellers ListMarketplaceParticipations answers.

Sellers element names follow the MWS Sellers API reference (ListMarketplaceParticipations);
the document checks are amazon_ext.amazon.mws.xmldoc's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from amazon_ext.amazon import values
from amazon_ext.amazon.mws.xmldoc import ORDERS_NS, SELLERS_NS, open_document


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """GetServiceStatus: GREEN, GREEN_I, YELLOW or RED, with Amazon's message texts."""

    status: str
    timestamp: datetime | None
    messages: tuple[str, ...]
    request_id: str | None


@dataclass(frozen=True, slots=True)
class ParticipationsPage:
    """ListMarketplaceParticipations: the marketplaces this seller takes part in."""

    marketplace_ids: tuple[str, ...]
    suspended_marketplace_ids: tuple[str, ...]
    next_token: str | None
    request_id: str | None


def parse_service_status(body: bytes, *, request_id: str | None = None) -> ServiceStatus:
    """GetServiceStatus of the Orders section → :class:`ServiceStatus`."""
    doc = open_document(
        body, root="GetServiceStatusResponse", namespaces=(ORDERS_NS,), request_id=request_id
    )
    result = doc.result("GetServiceStatusResult")
    messages_el = doc.child(result, "Messages")
    messages: tuple[str, ...] = ()
    if messages_el is not None:
        messages = tuple(
            text
            for el in doc.children(messages_el, "Message")
            if (text := doc.text(el, "Text")) is not None
        )
    return ServiceStatus(
        status=doc.required(result, "Status", "GetServiceStatusResult"),
        timestamp=doc.convert(doc.text(result, "Timestamp"), values.parse_datetime, "Timestamp"),
        messages=messages,
        request_id=doc.request_id,
    )


def parse_participations(
    body: bytes, *, action: str, request_id: str | None = None
) -> ParticipationsPage:
    """ListMarketplaceParticipations(ByNextToken) → the seller's marketplace ids."""
    doc = open_document(
        body, root=f"{action}Response", namespaces=(SELLERS_NS,), request_id=request_id
    )
    result = doc.result(f"{action}Result")
    ids: list[str] = []
    suspended: list[str] = []
    participations = doc.child(result, "ListParticipations")
    if participations is not None:
        for el in doc.children(participations, "Participation"):
            marketplace_id = doc.required(el, "MarketplaceId", "a Participation")
            ids.append(marketplace_id)
            if (doc.text(el, "HasSellerSuspendedListings") or "").lower() == "yes":
                suspended.append(marketplace_id)
    return ParticipationsPage(
        marketplace_ids=tuple(ids),
        suspended_marketplace_ids=tuple(suspended),
        next_token=doc.text(result, "NextToken"),
        request_id=doc.request_id,
    )
