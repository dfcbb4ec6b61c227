"""Upsert N product records through ZohoClient into an in-process Zoho stand-in.

``python -m bench.zoho_upsert --records 10000``

Self-contained: a throwaway SQLite database in a temporary directory (migrated on start), the
Zoho stand-in on loopback ports, a connection made at its token endpoint, field setup, then two
identical upserts (the first inserts, the second updates). Prints Zoho calls made against the
floor ⌈N/100⌉ and records per second for each.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time


def _django(db_path: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("REDIS_URL", "")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _run(client, asin: str, n: int, label: str, standin) -> dict:
    records = [
        {
            "Product_Name": f"Bench Bottle {i:06d}",
            "Product_Code": f"SKU-{i:06d}",
            asin: f"B0{i:08d}",
            "Unit_Price": 12.5,
        }
        for i in range(n)
    ]
    before_client = client.stats["POST /Products/upsert"]
    before_standin = standin.stats.count("upsert:Products", "POST")
    started = time.perf_counter()
    results = client.upsert("Products", records, duplicate_check_fields=[asin])
    elapsed = time.perf_counter() - started
    calls = client.stats["POST /Products/upsert"] - before_client
    actions = {a: sum(r.action == a for r in results) for a in ("insert", "update")}
    failed = sum(not r.ok for r in results)
    floor = math.ceil(n / 100)
    print(
        f"{label}: {n} records in {elapsed:.2f}s = {n / elapsed:,.0f} records/s; "
        f"Zoho calls {calls} (stand-in saw {standin.stats.count('upsert:Products', 'POST') - before_standin}) "
        f"vs floor ⌈N/100⌉ = {floor}; inserted {actions['insert']}, updated {actions['update']}, "
        f"failed {failed}"
    )
    return {"calls": calls, "floor": floor, "failed": failed, "seconds": elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--dc", default="com", choices=("com", "eu"))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="zoho-bench-") as tmp:
        _django(os.path.join(tmp, "bench.sqlite3"))
        from django.conf import settings

        from crm_sync.zoho.client import ZohoClient
        from crm_sync.zoho.fields import fields_setup
        from tenants.services import tenant_create
        from tests.crm_sync.test_zoho_support import connect_directly
        from tests.fixtures.zoho import (
            DEFAULT_REDIRECT_URIS,
            TEST_CLIENT_ID,
            TEST_CLIENT_SECRET,
            start_zoho_standin,
        )

        # Zoho's daily credits would stop a large run; this measures the product.
        standin = start_zoho_standin(daily_credits=10**9)
        try:
            settings.ZOHO_ACCOUNTS_URL = standin.accounts_url
            settings.ZOHO_CLIENT_ID = TEST_CLIENT_ID
            settings.ZOHO_CLIENT_SECRET = TEST_CLIENT_SECRET
            settings.ZOHO_REDIRECT_URI = DEFAULT_REDIRECT_URIS[1]
            org = standin.create_org(
                dc=args.dc,
                edition="enterprise",
                company_name="Bench Inc",
                admin_email="admin@bench.example",
            )
            tenant = tenant_create(name="Bench Inc")
            connection = connect_directly(
                standin, org, tenant, redirect_uri=DEFAULT_REDIRECT_URIS[1]
            )
            fields_setup(connection=connection)
            asin = connection.field_api_names["Products"]["ASIN No"]
            print(f"Zoho stand-in {args.dc}, enterprise org; ASIN No is {asin!r}")
            with ZohoClient(connection) as client:
                first = _run(client, asin, args.records, "first upsert (inserts)", standin)
                second = _run(client, asin, args.records, "second upsert (updates)", standin)
            print(f"token refreshes: {standin.stats.token_refreshes}")
        finally:
            standin.stop()
    ok = all(r["calls"] == r["floor"] and not r["failed"] for r in (first, second))
    print(
        f"RESULT records={args.records} insert_calls={first['calls']} "
        f"update_calls={second['calls']} floor={first['floor']} "
        f"insert_records_per_s={args.records / first['seconds']:.0f} "
        f"update_records_per_s={args.records / second['seconds']:.0f} "
        f"failed={first['failed'] + second['failed']}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
