"""History inside Zoho CRM and the history CSV export, measured.

    python -m bench.zoho_history --orders 2000 --events 200000

In this process, on a fresh SQLite file, against the stand-ins (Zoho: an Ultimate org, so
the history modules are created on connect): one Sync Amazon Record run of ``--orders``
orders, then its mirror into Zoho's Amazon Sync History and Order History modules, timed and
counted against the floor (1 + ⌈Order History rows / 100⌉ upserts); then the mirror again
after its marker is wiped (a crash before the marker moved), which must leave the same
records (no duplicates). Then ``--events`` more Order History rows are seeded and the Order
History CSV export is streamed to nowhere, timed, with Python's peak memory (tracemalloc),
which must stay flat in the row count.

The last line is ``RESULT events= mirror_calls= mirror_floor= mirror_s= rerun_duplicates=
export_rows= export_rows_per_s= export_peak_mb=``.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()

    from bench.data_protection import start_standins
    from bench.sync_e2e import configure, install_tenant

    with tempfile.TemporaryDirectory() as workdir:
        amazon, zoho, org, info = start_standins(args.orders)
        configure(info, workdir, SimpleNamespace(amazon="spapi-2026", throttle=False, time_scale=1))
        from django.conf import settings

        settings.ZOHO_HISTORY_MIRROR_AFTER_RUN = False  # timed on its own below

        from crm_sync.models.zoho_history import ZohoHistoryMirror, ZohoHistoryModules
        from crm_sync.services.runs import sync_run_start
        from crm_sync.services.zoho_history import zoho_history_mirror_run
        from crm_sync.tasks import execute_sync_run
        from history.exports import order_events_csv
        from history.models import OrderEvent, SyncRun
        from history.selectors import EventFilters

        tenant = install_tenant(info, "spapi-2026")
        modules = ZohoHistoryModules.objects.get(tenant=tenant)
        print(f"history modules: {modules.status} {modules.sync_module} {modules.order_module}")
        run = sync_run_start(tenant=tenant, schedule="sync_amazon_record", trigger="manual")
        execute_sync_run.apply(args=[run.pk])
        run = SyncRun.objects.get(pk=run.pk)
        events = OrderEvent.objects.filter(run=run).count()
        print(f"run: {run.outcome}, {run.orders_created} orders, {events} Order History rows")

        def upserts() -> int:
            return sum(
                zoho.stats.count(f"upsert:{m}", "POST")
                for m in (modules.sync_module, modules.order_module)
            )

        before = upserts()
        started = time.perf_counter()
        assert zoho_history_mirror_run(run_id=run.pk)
        mirror_s = time.perf_counter() - started
        calls = upserts() - before
        floor = 1 + math.ceil(events / 100)
        in_zoho = len(zoho.records(org.org_id, modules.order_module))
        print(f"mirror: {calls} upserts (floor {floor}), {in_zoho} records, {mirror_s:.2f} s")

        ZohoHistoryMirror.objects.filter(run=run).update(done=False, events_upto=0, zoho_id="")
        assert zoho_history_mirror_run(run_id=run.pk)
        duplicates = (
            len(zoho.records(org.org_id, modules.order_module))
            - in_zoho
            + len(zoho.records(org.org_id, modules.sync_module))
            - 1
        )
        print(f"mirror again after a lost marker: {duplicates} duplicates")

        OrderEvent.objects.bulk_create(
            (
                OrderEvent(
                    tenant=tenant,
                    run=run,
                    amazon_order_id=f"999-{i // 10_000_000:07d}-{i % 10_000_000:07d}",
                    action=OrderEvent.Action.STATUS_CHANGED,
                    old_status="Unshipped",
                    new_status="Shipped",
                    zoho_record_id=str(4_150_868_000_000_000_000 + i),
                    message="Shipped on Amazon",
                )
                for i in range(args.events)
            ),
            batch_size=5000,
        )

        def export() -> tuple[int, int]:
            rows, size = -1, 0  # -1: the header line
            for piece in order_events_csv(
                tenant=tenant, amazon_order_id="", filters=EventFilters()
            ):
                rows += piece.count("\r\n")  # pieces of many lines; csv ends each with \r\n
                size += len(piece)
            return rows, size

        started = time.perf_counter()
        rows, size = export()
        export_s = time.perf_counter() - started
        tracemalloc.start()  # a second pass for memory: tracing slows Python down
        export()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"export: {rows} rows, {size / 1e6:.1f} MB of CSV in {export_s:.2f} s, "
            f"peak {peak / 1e6:.1f} MB"
        )
        amazon.stop()
        zoho.stop()
        print(
            f"RESULT events={events} mirror_calls={calls} mirror_floor={floor} "
            f"mirror_s={mirror_s:.2f} rerun_duplicates={duplicates} export_rows={rows} "
            f"export_rows_per_s={rows / export_s:.0f} export_peak_mb={peak / 1e6:.1f}"
        )


if __name__ == "__main__":
    main()
