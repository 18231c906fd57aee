import os

import pytest


@pytest.fixture(scope="session")
def demo_url() -> str:
    return os.environ["PANLEARN_DEMO_URL"].rstrip("/")


@pytest.fixture(scope="session")
def demo_dir() -> str:
    """The demo's checkout, where it keeps var/ (its database and generated secrets)."""
    return os.environ["PANLEARN_DEMO_DIR"]
