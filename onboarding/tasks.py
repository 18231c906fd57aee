"""Background work of onboarding (run by `manage.py db_worker`; schedule in docs/operator.md)."""

from django_tasks import task

from . import services
from .models import Programme


@task()
def expire_completions() -> int:
    """Record the validity periods that have ended (xAPI `expired`); started on a schedule."""
    return services.expiry_sweep()


@task()
def evaluate_programme(programme_id: int) -> int:
    """Record the passes a new or changed programme's courses already hold."""
    programme = Programme.objects.filter(pk=programme_id).first()
    return services.programme_evaluate_all(programme=programme) if programme else 0
