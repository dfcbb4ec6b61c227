"""The base of every error an outbound client raises.

An error says itself whether trying again later can succeed (``retryable``), so neither the
retry loop nor the task layer has to work it out again from the class or a status code.
"""

from __future__ import annotations


class OutboundError(Exception):
    """An upstream call failed. ``retryable``: a later attempt may succeed (the service was
    unavailable, throttled, slow, or cut the answer short); ``False`` for credential and
    request errors, which only a person can fix."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable


def is_retryable(exc: BaseException) -> bool:
    """True for an :class:`OutboundError` that says a retry may succeed."""
    return bool(getattr(exc, "retryable", False))
