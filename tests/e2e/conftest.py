"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server."""

import os

import pytest

from tests.runner.conftest import kernel_host  # noqa: F401  (the worker's kernel host, for asgi_server)

CHROMIUM = os.environ.get("PANLEARN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch):
    """One browser per test: Playwright's sync API keeps an event loop running in this thread,
    which must not outlive the test (other tests in this worker use asyncio.run and the ORM)."""
    from playwright.sync_api import sync_playwright

    # The ORM calls of the test body run while Playwright's loop is running in this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/test.sh, which installs it.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def asgi_server(settings, kernel_host, transactional_db):  # noqa: F811  (kernel_host: tests.runner.conftest)
    """The real ASGI application under uvicorn, in a thread of this process (so it shares the test
    database), wired to the worker's real kernel host: code cells stream as they do in production."""
    import socket
    import threading
    import time

    import uvicorn

    from panlearn.asgi import application
    from tests.runner.conftest import SECRET

    settings.PANLEARN_RUNNER_BACKEND = "host"
    settings.PANLEARN_RUNNER_SOCKET = kernel_host.socket
    settings.PANLEARN_RUNNER_SECRET = SECRET
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="off", loop="asyncio")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)
    from tests.exercises.conftest import end_lesson_sessions

    end_lesson_sessions(kernel_host)  # the worker's host outlives this test: leave it as it was


@pytest.fixture
def asgi_page(browser, asgi_server):
    context = browser.new_context(base_url=asgi_server)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
