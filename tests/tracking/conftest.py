import pytest

from tests.tracking.fake_lrs import FakeLrs


@pytest.fixture
def lrs(settings):
    """A fake LRS as the only target (the built-in store off), with quick retries."""
    with FakeLrs() as fake:
        settings.PANLEARN_TRACKING_LRS = [fake.config()]
        settings.PANLEARN_TRACKING_STORE_ENABLED = False
        settings.PANLEARN_TRACKING_HTTP_TIMEOUT = 0.5
        settings.PANLEARN_TRACKING_BACKOFF_BASE = 5
        settings.PANLEARN_TRACKING_MAX_ATTEMPTS = 3
        yield fake
