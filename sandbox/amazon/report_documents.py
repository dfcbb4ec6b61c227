"""Order report documents of the Amazon stand-in: the flat file rendered from the order book,
kept (gzipped, or as the document's ``compression`` says) behind a pre-signed-URL-like path.

Content, as ``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL``: a header line, then one
tab-separated row per order item of the seller's orders in one marketplace with
``start <= PurchaseDate < end``, ordered by purchase date; the rows of one order adjacent.
Seller Central's words for statuses and channels, discounts negative, **no buyer name, email
or street** (city, state, postal code and country only). Pending orders carry no money.

The URL is ``/_report-documents/<documentId>?X-Amz-Date=…&X-Amz-Expires=300&X-Amz-Signature=…``:
an HMAC over the path and the date, valid five minutes (stand-in clock), answered like S3
(403 ``AccessDenied`` / ``Request has expired`` XML) when wrong or late. It takes no SP-API
token: a client that sends one is not refused, but nothing depends on it.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import secrets
from datetime import datetime

from werkzeug.wrappers import Request, Response

from sandbox.amazon.records import HIDDEN_STATUSES, BookOrder, money_str

DOCUMENT_PREFIX = "/_report-documents/"
URL_TTL_SECONDS = 300
HEADER = (
    "amazon-order-id",
    "merchant-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "ship-service-level",
    "product-name",
    "sku",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "promotion-ids",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
)
STATUS_WORDS = {
    "PendingAvailability": "Pending Availability",
    "Pending": "Pending",
    "Unshipped": "Unshipped",
    "PartiallyShipped": "Shipping",
    "Shipped": "Shipped",
    "Canceled": "Cancelled",
    "Unfulfillable": "Unfulfillable",
    "InvoiceUnconfirmed": "Invoice Unconfirmed",
}
CHANNEL_WORDS = {"AFN": "Amazon", "MFN": "Merchant"}


def _date(dt: datetime) -> str:
    # Reports write local-time offsets; UTC with an explicit offset is one valid form.
    return dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def render_rows(orders: list[BookOrder]) -> bytes:
    """The flat file for ``orders`` (already filtered and ordered)."""
    out = ["\t".join(HEADER)]
    for o in orders:
        visible = o.status not in HIDDEN_STATUSES
        places = o.decimals
        a = o.shipping_address

        def m(amount, places=places, visible=visible) -> str:
            return money_str(amount, places) if visible else ""

        def discount(amount, places=places, visible=visible) -> str:
            return money_str(-amount if amount else amount, places) if visible else ""

        for item in o.items:
            shipped = item.quantity_shipped >= item.quantity and o.status == "Shipped"
            row = (
                o.amazon_order_id,
                o.seller_order_id,
                _date(o.purchase_date),
                _date(o.last_update_date),
                STATUS_WORDS.get(o.status, o.status),
                CHANNEL_WORDS.get(o.fulfillment_channel, o.fulfillment_channel),
                o.sales_channel,
                "",
                o.ship_service_level,
                item.title.replace("\t", " "),
                item.seller_sku,
                item.asin,
                "Shipped" if shipped else ("Cancelled" if o.status == "Canceled" else "Unshipped"),
                str(item.quantity),
                o.currency,
                m(item.item_price),
                m(item.item_tax),
                m(item.shipping_price),
                m(item.shipping_tax),
                m(item.gift_wrap_price),
                m(item.gift_wrap_tax),
                discount(item.promotion_discount),
                discount(item.shipping_discount),
                a.city,
                a.state_or_region or "",
                a.postal_code,
                a.country_code,
                item.promotion_id or "",
                "true" if o.is_business_order else "false",
                "",
                "",
            )
            out.append("\t".join(row))
    return ("\n".join(out) + "\n").encode("utf-8")


class DocumentStore:
    """Rendered documents by id, and their pre-signed URLs."""

    def __init__(self, clock) -> None:
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._documents: dict[str, tuple[bytes, str | None]] = {}
        self.downloads = 0

    def add(self, document_id: str, content: bytes, *, compression: str) -> str | None:
        """Keep ``content``; ``compression`` "gzip", "none" or "mislabelled" (says GZIP, is
        not). Returns the compressionAlgorithm the document announces."""
        stored = gzip.compress(content, compresslevel=5) if compression == "gzip" else content
        label = None if compression == "none" else "GZIP"
        self._documents[document_id] = (stored, label)
        return label

    def label(self, document_id: str) -> str | None:
        return self._documents[document_id][1]

    def __contains__(self, document_id: object) -> bool:
        return document_id in self._documents

    def _signature(self, document_id: str, stamp: str) -> str:
        message = f"{DOCUMENT_PREFIX}{document_id}\n{stamp}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def url(self, base_url: str, document_id: str) -> str:
        stamp = str(int(self._clock.timestamp()))
        signature = self._signature(document_id, stamp)
        return (
            f"{base_url}{DOCUMENT_PREFIX}{document_id}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Date={stamp}&X-Amz-Expires={URL_TTL_SECONDS}&X-Amz-Signature={signature}"
        )

    def download(self, request: Request) -> Response:
        document_id = request.path.removeprefix(DOCUMENT_PREFIX)
        stamp = request.args.get("X-Amz-Date", "")
        signature = request.args.get("X-Amz-Signature", "")
        if document_id not in self._documents or not stamp.isdigit():
            return _s3_error("AccessDenied", "Access Denied")
        if not hmac.compare_digest(signature, self._signature(document_id, stamp)):
            return _s3_error(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if self._clock.timestamp() > int(stamp) + URL_TTL_SECONDS:
            return _s3_error("AccessDenied", "Request has expired")
        self.downloads += 1
        body, _ = self._documents[document_id]
        return Response(body, 200, content_type="application/octet-stream")


def _s3_error(code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
    )
    return Response(body, 403, content_type="application/xml")
