"""SQS round trips of the live-updates consumer off its path: long polls in flight while it
writes, and deletes sent behind it.

``Intake`` keeps RECEIVERS receive calls (10 messages each, SQS's maximum) going in
background threads and buffers what they bring, at most GATHER_LIMIT messages (then they
pause, so we never hold more than we can write before the queue's visibility timeout). The
consumer ``take``s the buffer when it is free: at once if messages waited while it wrote the
previous gathering (they have coalesced already), else LIVE_UPDATES_GATHER_SECONDS after
the first one arrived, so changes a moment apart travel together.

``Deleter`` sends the deletes of checkpointed messages from background threads (10 per
call, DELETERS calls at a time): a delete that never happens (the process died) only
brings a message back whose receipt says "written", and it is deleted then.

``gather_now`` receives without threads, for one cycle at a time (``--once``, tests).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from crm_sync.services import live_queue
from crm_sync.services.live_queue import ReceivedMessage

logger = logging.getLogger(__name__)

GATHER_LIMIT = 300  # messages per gathering at most (a backlog is worked in big runs)
RECEIVERS = 6  # receive calls in flight
DELETERS = 3  # delete calls in flight


class Intake:
    """Background receivers and their buffer. ``stop`` ends the receivers after their poll."""

    def __init__(self, *, stop: threading.Event, receivers: int = RECEIVERS) -> None:
        self.stop = stop
        self.receivers = receivers
        self._ready = threading.Condition()
        self._buffer: dict[str, ReceivedMessage] = {}  # by MessageId: the newest receipt
        self._first_at = 0.0  # monotonic time the oldest buffered message arrived
        self._threads: list[threading.Thread] = []

    def start(self) -> Intake:
        for number in range(self.receivers):
            thread = threading.Thread(
                target=self._receive_loop, name=f"sqs-receive-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _receive_loop(self) -> None:
        while not self.stop.is_set():
            with self._ready:
                while len(self._buffer) >= GATHER_LIMIT and not self.stop.is_set():
                    self._ready.wait(0.5)
            try:
                messages = live_queue.receive()
            except Exception:  # SQS or the network blinked: keep polling
                logger.warning("live updates: receive failed; trying again", exc_info=True)
                self.stop.wait(2.0)
                continue
            if messages:
                with self._ready:
                    if not self._buffer:
                        self._first_at = time.monotonic()
                    # SQS handed a message out again (its visibility ran out while it waited
                    # here): keep one copy, with the receipt handle that can delete it.
                    self._buffer.update((m.message_id, m) for m in messages)
                    self._ready.notify_all()

    def take(self, *, wait: float) -> list[ReceivedMessage]:
        """What is buffered: waits up to ``wait`` s for a first message, then until it is
        LIVE_UPDATES_GATHER_SECONDS old (or the buffer is full)."""
        hold = settings.LIVE_UPDATES_GATHER_SECONDS
        deadline = time.monotonic() + wait
        with self._ready:
            while not self.stop.is_set():
                now = time.monotonic()
                if self._buffer and (
                    now >= self._first_at + hold or len(self._buffer) >= GATHER_LIMIT
                ):
                    break
                until = self._first_at + hold if self._buffer else deadline
                if not self._buffer and now >= deadline:
                    return []
                self._ready.wait(max(0.005, until - now))
            taken = list(self._buffer.values())
            self._buffer.clear()
            self._ready.notify_all()  # receivers paused on a full buffer go on
        return taken


class Deleter:
    """Deletes messages in the background, in chunks of 10 (SQS's limit per call)."""

    def __init__(self, *, threads: int = DELETERS) -> None:
        self._chunks: queue.Queue[list[ReceivedMessage]] = queue.Queue()
        for number in range(threads):
            threading.Thread(
                target=self._delete_loop, name=f"sqs-delete-{number}", daemon=True
            ).start()

    def delete(self, messages: list[ReceivedMessage]) -> None:
        for start in range(0, len(messages), 10):
            self._chunks.put(messages[start : start + 10])

    def _delete_loop(self) -> None:
        while True:
            chunk = self._chunks.get()
            try:
                live_queue.delete(chunk)
            except Exception:  # they come back after their visibility timeout; then again
                logger.warning("live updates: delete failed", exc_info=True)
            finally:
                self._chunks.task_done()

    def drain(self) -> None:
        """Until every delete handed in so far is sent (tests, shutdown)."""
        self._chunks.join()


_pool = ThreadPoolExecutor(max_workers=RECEIVERS, thread_name_prefix="sqs-gather")


def gather_now(wait: int | None) -> list[ReceivedMessage]:
    """One long poll, then more while SQS has them: full answers (a backlog) are followed at
    once, RECEIVERS polls at a time, up to GATHER_LIMIT messages; a trickle is waited for
    only LIVE_UPDATES_GATHER_SECONDS."""
    messages = live_queue.receive(wait_seconds=wait)
    deadline = time.monotonic() + settings.LIVE_UPDATES_GATHER_SECONDS
    backlog = len(messages) == 10
    while messages and len(messages) < GATHER_LIMIT:
        if not backlog and time.monotonic() >= deadline:
            break
        poll_wait = 0 if backlog else 1
        answers = list(
            _pool.map(lambda _, w=poll_wait: live_queue.receive(wait_seconds=w), range(RECEIVERS))
        )
        more = [m for answer in answers for m in answer]
        if not more:
            break
        messages.extend(more)
        backlog = all(len(answer) == 10 for answer in answers)
    return messages
