"""A run's lease: exactly one live executor per run.

Celery may hand a still-running task to a second worker (a worker whose broker connection
dropped looks dead to the broker), and a killed worker's message may never come back (the
embedded SQLite broker) or only hours later (Redis' visibility timeout). So the broker is
not trusted to decide who runs a run: the database is.

* Every execution attempt claims the run with an *executor token* of its own
  (``sync_run_claim``). A claim succeeds when nobody holds the lease or the holder's
  heartbeat is older than ``LEASE_SECONDS``; a second copy of a live run is refused and stops.
* While it executes, :class:`RunLease` renews the lease from a background thread every
  ``renewal_interval()`` (also while the run waits for Amazon's quota), so a live run never
  looks dead. A renewal that finds another holder marks the lease lost; the pipeline stops
  at its next checkpoint (``check()`` raises :class:`LeaseLostError`).
* The watchdog (``sync_runs_recover``, on beat every minute) re-sends runs whose holder
  stopped renewing: a dead run resumes from its checkpoints within about two minutes.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)


def renewal_interval() -> float:
    """Six renewals per lease period (15 s for the default 90 s lease)."""
    return max(0.2, settings.SYNC_RUN_LEASE_SECONDS / 6)


class LeaseLostError(Exception):
    """Another executor holds this run now; this one must stop without writing more."""


def new_executor_token(task_id: str | None) -> str:
    """Unique per execution attempt, even for the same Celery task id delivered twice."""
    return f"{task_id or 'eager'}:{uuid.uuid4().hex[:12]}"


class RunLease:
    """Renews the run's lease in the background while the run executes.

    ``renew`` is ``sync_run_heartbeat`` bound to the run and executor: it returns False when
    the lease is no longer ours. ``extra`` supplies what to save with each renewal (the API
    call counts, so the run page shows them live and a killed attempt keeps them).
    """

    def __init__(
        self,
        renew: Callable[[dict | None], bool],
        *,
        extra: Callable[[], dict | None] = lambda: None,
        every: float | None = None,
    ) -> None:
        self._renew = renew
        self._extra = extra
        self._every = every or renewal_interval()
        self._stop = threading.Event()
        self._lost = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="run-lease", daemon=True)

    def __enter__(self) -> RunLease:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def check(self) -> None:
        """Raise :class:`LeaseLostError` if another executor took the run over."""
        if self._lost.is_set():
            raise LeaseLostError("another worker took this run over; this copy stops")

    def renew_now(self) -> None:
        if not self._renew(self._extra()):
            self._lost.set()

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self._every):
                close_old_connections()
                try:
                    self.renew_now()
                except Exception:  # a database blip must not kill the renewer
                    logger.warning("run lease renewal failed; trying again", exc_info=True)
                if self._lost.is_set():
                    return
        finally:
            connection.close()
