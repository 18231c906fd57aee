"""Checks of the runner's settings that would otherwise fail at a student's first run."""

from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .hosts import POLICIES, parse_hosts


@register()
def kernel_hosts(app_configs, **kwargs):
    errors = []
    try:
        parse_hosts(settings.PANLEARN_RUNNER_HOSTS)
    except ImproperlyConfigured as error:
        errors.append(Error(str(error), hint="See docs/operator.md, 'Several kernel hosts'.", id="panlearn.E010"))
    if settings.PANLEARN_RUNNER_PLACEMENT not in POLICIES:
        errors.append(
            Error(
                f"PANLEARN_RUNNER_PLACEMENT is {settings.PANLEARN_RUNNER_PLACEMENT!r}.",
                hint=f"Use one of: {', '.join(POLICIES)}.",
                id="panlearn.E011",
            )
        )
    return errors
