"""Remember on a failed run what the user should do next (``SyncRun.next_step``): a credential
error names the field to fix in Settings, Zoho disconnected says Reconnect. The pages and
the email turn the code into a link (history.next_steps)."""

from __future__ import annotations

from history.models import SyncRun


def sync_run_set_next_step(*, run: SyncRun, next_step: str) -> SyncRun:
    """Remember what the user should do about the run's error (a closed, failed run only)."""
    if next_step and run.outcome == SyncRun.Outcome.FAILED:
        SyncRun.objects.filter(pk=run.pk).update(next_step=next_step[:64])
        run.next_step = next_step[:64]
    return run
