"""Shared plumbing for the Amazon stand-in: clock, buckets, faults, stats and a threaded server.

Nothing here knows about Amazon; the pieces are small and thread-safe so one stand-in can
serve many concurrent test clients.
"""

from sandbox.common.buckets import BucketRegistry, LeakyBucket, TokenBucket
from sandbox.common.clock import SandboxClock
from sandbox.common.faults import Fault, FaultInjector
from sandbox.common.server import ServerHandle, serve_in_thread
from sandbox.common.stats import Stats

__all__ = [
    "BucketRegistry",
    "Fault",
    "FaultInjector",
    "LeakyBucket",
    "SandboxClock",
    "ServerHandle",
    "Stats",
    "TokenBucket",
    "serve_in_thread",
]
