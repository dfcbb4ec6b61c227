"""Run the Zoho stand-in with fixed ports: ``python -m sandbox.zoho``.

Ports: US accounts = --accounts-port (8201), US API = +1, EU accounts = +2, EU API = +3.
"""

from __future__ import annotations

import argparse
import signal
import threading

from .standin import ZohoStandIn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.zoho", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--accounts-port", type=int, default=8201)
    parser.add_argument("--client-id", default="sandbox-client-id")
    parser.add_argument("--client-secret", default="sandbox-client-secret")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        help="allowed redirect URI (repeatable); default http://127.0.0.1:8000/zoho/callback",
    )
    parser.add_argument("--admin-email", default="admin@demo.example")
    parser.add_argument("--company", default="Demo Company")
    parser.add_argument("--edition", default="enterprise")
    parser.add_argument("--eu-admin-email", default="admin@demo-eu.example")
    parser.add_argument("--token-ttl", type=int, default=3600)
    parser.add_argument(
        "--legacy-field-names",
        action="store_true",
        help="seed fields that force generated names such as ASIN_No1",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-request access log")
    parser.add_argument(
        "--allow-any-host",
        action="store_true",
        help="allow a non-loopback --host (only inside a container of its own)",
    )
    args = parser.parse_args(argv)

    base = args.accounts_port
    standin = ZohoStandIn(token_ttl_seconds=args.token_ttl)
    standin.start(
        args.host,
        ports={"com": (base, base + 1), "eu": (base + 2, base + 3)},
        access_log=not args.quiet,
        allow_any_host=args.allow_any_host,
    )
    redirects = args.redirect_uri or ["http://127.0.0.1:8000/zoho/callback"]
    standin.register_client(args.client_id, args.client_secret, redirects)
    org = standin.create_org(
        company_name=args.company,
        admin_email=args.admin_email,
        admin_name="Demo Admin",
        edition=args.edition,
        legacy_field_names=args.legacy_field_names,
    )
    eu = standin.create_org(
        dc="eu",
        company_name=f"{args.company} EU",
        admin_email=args.eu_admin_email,
        admin_name="Demo EU Admin",
        edition=args.edition,
        time_zone="Europe/Berlin",
    )
    for dc, (accounts, api) in standin.dc_urls.items():
        print(f"{dc:>3}: accounts {accounts}   api {api}")
    print(f"client: {args.client_id} / {args.client_secret}  redirect: {', '.join(redirects)}")
    print(f"org {org.org_id} ({org.edition}, com) admin {org.admin_email}")
    print(f"org {eu.org_id} ({eu.edition}, eu) admin {eu.admin_email}")
    print(f"records view: {standin.api_url}/_sandbox/", flush=True)

    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    standin.stop()


if __name__ == "__main__":
    main()
