"""Where a sync's CPU went, from a py-spy raw (collapsed stacks) profile of ``bench.sync_e2e``.

    py-spy record --format raw -r 200 -o /tmp/sync.raw -- \\
        .venv/bin/python -m bench.sync_e2e --amazon mws --orders 10000 --buyers 2000 --products 500
    python -m bench.spy_top /tmp/sync.raw

py-spy samples every thread of the product's process (the item-fetching threads too, which
cProfile misses) and, without ``--idle``, only samples that are on CPU. Samples outside the
runs (migrations, the tenant's set-up) are left out. Prints the share per kind of code (the
innermost frame with a known package: standard-library time counts for its caller), the
top functions by self samples, then ``RESULT samples=N``.
"""

from __future__ import annotations

import argparse
from collections import Counter

# Leaf frame file prefix → kind; the first match wins.
KINDS = (
    ("django/db/", "Django ORM"),
    ("sqlite3/", "DB driver"),
    ("psycopg", "DB driver"),
    ("django/", "Django other"),
    ("requests/", "HTTP client"),
    ("urllib3/", "HTTP client"),
    ("http/client", "HTTP client"),
    ("socket.py", "HTTP client"),
    ("email/", "HTTP client"),
    ("json/", "JSON"),
    ("xml/", "XML"),
    ("celery/", "Celery"),
    ("kombu/", "Celery"),
    ("amazon_ext/", "product: Amazon"),
    ("crm_sync/", "product: CRM sync"),
    ("history/", "product: history"),
    ("outbound/", "product: other"),
    ("tenants/", "product: other"),
)
SETUP = ("install_tenant", "configure (bench/", "django.setup", "migrate")


def _file(frame: str) -> str:
    return frame.rsplit("(", 1)[-1].rstrip(")") if "(" in frame else frame


def kind(frames: list[str]) -> str:
    """The kind of the innermost frame that has one: time in the standard library
    (threading, hmac, dataclasses…) counts for the code that called it."""
    for frame in reversed(frames):
        where = _file(frame)
        for prefix, name in KINDS:
            if prefix in where:
                return name
    return "stdlib / other"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("raw")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    kinds: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    with open(args.raw) as handle:
        for line in handle:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or any(marker in stack for marker in SETUP):
                continue
            n = int(count)
            frames = stack.split(";")
            leaf = frames[-1]
            kinds[kind(frames)] += n
            functions[leaf] += n
            total += n
    print(f"{total} samples in the runs")
    for name, n in kinds.most_common():
        print(f"{100 * n / total:6.1f} %  {name}")
    print()
    for leaf, n in functions.most_common(args.top):
        print(f"{100 * n / total:6.1f} %  {leaf}")
    print(f"RESULT samples={total}")


if __name__ == "__main__":
    main()
