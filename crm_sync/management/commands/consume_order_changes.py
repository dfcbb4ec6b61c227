"""``manage.py consume_order_changes``: the live-updates consumer (its own long-running
process; run as many as you like, see crm_sync.services.live_consumer)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Consume ORDER_CHANGE notifications from Amazon SQS and write them to Zoho CRM."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--create-queue",
            metavar="NAME",
            help="Create the queue NAME and NAME-dlq first (moto or a developer account), "
            "and print their URLs",
        )
        parser.add_argument(
            "--once", action="store_true", help="One receive cycle, then stop (for scripts)"
        )

    def handle(self, *args, create_queue: str | None = None, once: bool = False, **options):
        from crm_sync.services import live_queue
        from crm_sync.services.live_consumer import LiveConsumer

        if create_queue:
            url, dlq = live_queue.create_local_queue(create_queue)
            self.stdout.write(f"queue {url}\ndead-letter queue {dlq}")
            return
        if not live_queue.configured():
            raise CommandError(
                "AMAZON_SQS_QUEUE_URL is not set: set it to the SQS queue Amazon sends "
                "ORDER_CHANGE notifications to (see README, Live updates)."
            )
        stop = threading.Event()

        def stopping(signum, frame) -> None:
            logger.info("live updates consumer: stopping after this cycle")
            stop.set()

        signal.signal(signal.SIGTERM, stopping)
        signal.signal(signal.SIGINT, stopping)
        consumer = LiveConsumer(name=f"{socket.gethostname()}:{os.getpid()}", stop=stop)
        logger.info("live updates consumer %s on %s", consumer.name, settings.AMAZON_SQS_QUEUE_URL)
        if once:
            consumer.step()
            return
        consumer.run_forever()
