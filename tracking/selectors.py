"""Reads of the outbox: what operators see of delivery."""

from django.db.models import Count, QuerySet

from .models import Delivery, DeliveryStatus, StoredStatement


def dead_letters(*, target: str = "") -> QuerySet[Delivery]:
    rows = Delivery.objects.filter(status=DeliveryStatus.DEAD).select_related("statement").order_by("-pk")
    return rows.filter(target=target) if target else rows


def delivery_counts() -> dict[tuple[str, str], int]:
    """(target, status) -> rows, for the admin view's summary."""
    counts = Delivery.objects.values("target", "status").annotate(rows=Count("pk")).order_by("target", "status")
    return {(row["target"], row["status"]): row["rows"] for row in counts}


def counted_statements() -> QuerySet[StoredStatement]:
    """Statements panlearn stored itself: a client of the store's API is not the authority for learning."""
    return StoredStatement.objects.filter(by_panlearn=True)
