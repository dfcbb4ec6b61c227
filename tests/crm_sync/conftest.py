"""Fixtures of the live-updates tests (moto's SQS, a queue per test, an SP-API tenant)."""

from tests.crm_sync.live_support import live_queue_settings, moto_sqs, spapi_tenant  # noqa: F401
