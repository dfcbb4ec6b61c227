"""Run the Amazon stand-in: ``python -m sandbox.amazon --port 8101``."""

from __future__ import annotations

import argparse
import signal
import threading

from sandbox.amazon.standin import AmazonStandIn, demo_book, demo_seller


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.amazon", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--no-throttle", action="store_true")
    parser.add_argument("--token-ttl", type=int, default=3600)
    parser.add_argument(
        "--redirect-uri",
        default="http://127.0.0.1:8000/amazon/callback",
        help="the redirect URI registered for the sandbox SP-API application",
    )
    parser.add_argument(
        "--allow-any-host",
        action="store_true",
        help="allow a non-loopback --host (only inside a container of its own)",
    )
    args = parser.parse_args(argv)

    seller = demo_seller()
    book = demo_book(seller, seed=args.seed, orders=args.orders, days=args.days)
    standin = AmazonStandIn(
        book=book,
        time_scale=args.time_scale,
        throttle=not args.no_throttle,
        token_ttl_seconds=args.token_ttl,
    )
    standin.register_seller(seller)
    standin.register_application(
        "amzn1.sp.solution.sandbox0001",
        seller.lwa_client_id,
        seller.lwa_client_secret,
        args.redirect_uri,
    )
    standin.start(args.host, args.port, allow_any_host=args.allow_any_host)
    print(f"Amazon stand-in on {standin.url} ({len(book)} orders, seed {args.seed})")
    print(f"  control page : {standin.url}/_sandbox/")
    print(f"  seller id    : {seller.seller_id}")
    print(f"  marketplaces : {', '.join(seller.marketplace_ids)}")
    print(f"  access key   : {seller.access_key}")
    print(f"  secret key   : {seller.secret_key}")
    print(f"  MWSAuthToken : {seller.mws_auth_token}")
    print(f"  LWA client   : {seller.lwa_client_id} / {seller.lwa_client_secret}")
    print(f"  refresh token: {seller.refresh_token}")
    print("  application  : amzn1.sp.solution.sandbox0001")
    roles = ", ".join(sorted(standin.roles_of(seller.lwa_client_id)))
    print(f"  app roles    : {roles} (POST /_sandbox/roles to change)")
    print("Send requests to this address with the real Amazon Host header. Ctrl-C stops.")
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        while not done.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


if __name__ == "__main__":
    main()
