"""When buyer data expires (crm_sync.retention): pure rules, no clock."""

from datetime import UTC, datetime, timedelta

from crm_sync import retention

T = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_not_shipped_nor_cancelled_has_no_expiry_yet():
    delivered = retention.delivery(latest_delivery_date=T, shipped_at=None, cancelled_at=None)
    assert delivered is None
    assert retention.expires_at(delivered, retention_days=30) is None


def test_cancellation_counts_from_the_cancellation():
    delivered = retention.delivery(
        latest_delivery_date=T + timedelta(days=9), shipped_at=None, cancelled_at=T
    )
    assert (delivered.at, delivered.basis) == (T, "cancellation")
    assert retention.expires_at(delivered, retention_days=30) == T + timedelta(days=30)


def test_latest_delivery_date_once_shipped_never_before_the_shipment():
    on_time = retention.delivery(
        latest_delivery_date=T + timedelta(days=5), shipped_at=T, cancelled_at=None
    )
    assert (on_time.at, on_time.basis) == (T + timedelta(days=5), "latest delivery date")
    late = retention.delivery(
        latest_delivery_date=T - timedelta(days=2), shipped_at=T, cancelled_at=None
    )
    assert late.at == T


def test_shipment_when_amazon_gives_no_delivery_date():
    delivered = retention.delivery(latest_delivery_date=None, shipped_at=T, cancelled_at=None)
    assert (delivered.at, delivered.basis) == (T, "shipment")
    assert retention.expires_at(delivered, retention_days=7) == T + timedelta(days=7)


def test_retention_is_never_longer_than_amazon_allows():
    delivered = retention.delivery(latest_delivery_date=None, shipped_at=T, cancelled_at=None)
    assert retention.expires_at(delivered, retention_days=90) == T + timedelta(days=30)
    assert retention.reason(retention_days=30, basis="latest delivery date") == (
        "buyer data removed: Amazon data protection, 30 days after delivery"
    )
