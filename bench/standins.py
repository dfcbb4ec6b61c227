"""Both stand-ins in one child process, so a benchmark measures only the product's memory.

``python -m bench.standins --orders N --buyers B --products P [--throttle --time-scale S]``
prints one JSON line (URLs, seller, org id) when ready and serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta

from sandbox.amazon import AmazonStandIn, OrderBook
from sandbox.zoho import ZohoStandIn
from tests.fixtures.amazon import make_amazon_seller

CLIENT_ID, CLIENT_SECRET = "bench-client-id", "bench-client-secret"
REDIRECT_URI = "http://127.0.0.1/zoho/callback"
PII_STATUSES = ("Unshipped", "PartiallyShipped", "Shipped")


def buyer_keys(book: list[dict], mode: str) -> set[str]:
    """The Contacts a run should write: one per buyer email Amazon gives, plus the
    anonymous one. Orders v2026 gives an email only for FBM orders in PII statuses (the
    stand-in's app has every role); MWS and v0 (with an RDT) for every order past Pending."""
    keys = set()
    for o in book:
        email = (o.get("buyer_email") or "").lower()
        if mode == "spapi-2026":
            visible = o.get("status") in PII_STATUSES and o.get("fulfillment_channel") == "MFN"
        else:
            visible = o.get("status") not in ("Pending", "PendingAvailability")
        keys.add(email if email and visible else "withheld")
    return keys


def book_counts(book: list[dict]) -> dict:
    """What a benchmark's floors need from the book, counted here so the product's process
    never holds the order book (its peak RSS is then the product's own)."""
    return {
        "asins": len({i["asin"] for o in book for i in o.get("items", [])}),
        "buyer_keys": {
            mode: len(buyer_keys(book, mode)) for mode in ("mws", "spapi-v0", "spapi-2026")
        },
    }


# Ids, clocks and the tenant's random buyer-key secret differ run to run.
VARYING = {
    "id",
    "Created_Time",
    "Modified_Time",
    "Created_By",
    "Modified_By",
    "Owner",
    "Started_At",
    "Finished_At",
    "Recorded_At",
    "Amazon_Buyer_Key",
    "SO_Number",
}


RUN_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")


def _canonical(value):
    """A record without what differs run to run (ids, times): lookups by name only."""
    if isinstance(value, str):
        return RUN_TIME.sub("<time> UTC", value)
    if isinstance(value, dict):
        if "id" in value and "name" in value and len(value) <= 3:
            return {"name": _canonical(value["name"])}
        return {
            k: _canonical(v)
            for k, v in sorted(value.items())
            if k not in VARYING and not k.startswith("$")
        }
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def dump_zoho(zoho, org_id: str, path: str) -> None:
    """Every module's records, canonical and sorted, so two runs' Zoho can be diffed."""
    org = zoho.org(org_id)
    dump = {}
    for module in sorted(org.modules):
        rows = [_canonical(r) for r in zoho.records(org_id, module)]
        if rows:
            dump[module] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))
    with open(path, "w") as handle:
        json.dump(dump, handle, indent=1, sort_keys=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--buyers", type=int, default=2_000)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--throttle", action="store_true")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--days", type=float, default=20, help="the book's span (backfills)")
    parser.add_argument("--marketplaces", type=int, default=0, help="keep the first N only")
    parser.add_argument("--dump-zoho", metavar="FILE", help="at exit, write Zoho's records here")
    args = parser.parse_args()

    seller = make_amazon_seller()
    if args.marketplaces:
        seller.marketplace_ids = seller.marketplace_ids[: args.marketplaces]
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    book = OrderBook.generate(
        seed=7,
        seller_id=seller.seller_id,
        marketplace_ids=seller.marketplace_ids,
        orders=args.orders,
        buyers=args.buyers,
        products=args.products,
        start=end - timedelta(days=args.days),
        end=end,
    )
    amazon = AmazonStandIn(book=book, time_scale=args.time_scale, throttle=args.throttle)
    amazon.register_seller(seller)
    amazon.start()
    # Zoho's daily credit budget would stop a 50,000-order backfill; the benchmark measures
    # the product, not Zoho's quota.
    zoho = ZohoStandIn(daily_credits=10**9).start()
    zoho.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    org = zoho.create_org(
        dc="com", edition="ultimate", company_name="Bench Inc", admin_email="admin@bench.example"
    )
    print(
        json.dumps(
            {
                "amazon_url": amazon.url,
                "zoho_accounts_url": zoho.accounts_url,
                "zoho_api_url": zoho.api_url,
                "org_id": org.org_id,
                "seller": {
                    "seller_id": seller.seller_id,
                    "access_key": seller.access_key,
                    "secret_key": seller.secret_key,
                    "mws_auth_token": seller.mws_auth_token,
                    "lwa_client_id": seller.lwa_client_id,
                    "lwa_client_secret": seller.lwa_client_secret,
                    "refresh_token": seller.refresh_token,
                    "marketplace_ids": seller.marketplace_ids,
                },
                "orders": len(book.orders(seller.seller_id)),
                "counts": book_counts(book.to_json(seller.seller_id)),
            }
        ),
        flush=True,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    amazon.stop()
    if args.dump_zoho:
        dump_zoho(zoho, org.org_id, args.dump_zoho)
    zoho.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
