"""Django's side of the runner: sync and async clients with typed errors.

Views and tasks get theirs from `runner.backends` (`get_client()` / `get_async_client()`): which
backend answers (our kernel host, several of them, or a Jupyter gateway) is a setting. Errors are
`runner.exceptions` classes whose message a student can read; a host that is down is
`RunnerUnavailable`, never a crash.
"""

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import httpx

from . import exceptions
from .replies import ExecuteReply

OutputCallback = Callable[[dict], None]
AsyncOutputCallback = Callable[[dict], Awaitable[None]]
ERROR_TYPES = {
    name: getattr(exceptions, name)
    for name in dir(exceptions)
    if isinstance(getattr(exceptions, name), type) and issubclass(getattr(exceptions, name), exceptions.RunnerError)
}


def session_request(*, user: str, context: str, kernel: str, datasets, queue_timeout: float | None) -> dict:
    """The body of a new session's request. queue_timeout: how long to wait in a full host's queue
    before answering PoolExhausted (several hosts: another may have room); the host's own limit if None."""
    body = {"user": user, "context": context, "kernel": kernel, "datasets": list(datasets)}
    if queue_timeout is not None:
        body["queue_timeout"] = queue_timeout
    return body


def _raise_for(payload: dict) -> None:
    error = payload.get("error")
    if error:
        raise ERROR_TYPES.get(error.get("type"), exceptions.RunnerError)(error.get("message"))


def _check(response: httpx.Response) -> dict:
    try:
        payload = response.json()
    except ValueError as error:
        raise exceptions.RunnerUnavailable() from error
    if response.status_code == 401:
        raise exceptions.RunnerUnavailable("The code service rejected this server's credentials.")
    if response.status_code >= 400:
        _raise_for(payload)
        raise exceptions.RunnerError()
    return payload


def _reply_from(lines: Iterator[dict] | list[dict], on_output) -> ExecuteReply:
    outputs: list[dict] = []
    for payload in lines:
        _raise_for(payload)
        if "output" in payload:
            outputs.append(payload["output"])
            if on_output is not None:
                on_output(payload["output"])
        elif "result" in payload:
            return ExecuteReply(outputs=outputs, **payload["result"])
    raise exceptions.RunnerUnavailable("The code service stopped answering during the run.")


def _transport_kwargs(*, socket_path: str, base_url: str, is_async: bool) -> dict:
    """Plain HTTP (a unix socket or http:// on loopback) needs no TLS context, and building one
    (loading the CA bundle) costs about 20 ms, paid by every client: so none is built."""
    if not socket_path:
        return {"verify": False} if base_url.startswith("http://") else {}
    transport_class = httpx.AsyncHTTPTransport if is_async else httpx.HTTPTransport
    return {"transport": transport_class(uds=socket_path, verify=False)}


def _timeout(seconds: float | None) -> dict:
    """A shorter limit for one call (probes of a host that may hang), else the client's own."""
    return {} if seconds is None else {"timeout": httpx.Timeout(seconds)}


class RunnerClient:
    """Blocking client, for tasks and management commands."""

    def __init__(self, *, base_url: str, secret: str, socket_path: str = "", timeout: float = 120.0):
        self.http = httpx.Client(
            base_url="http://runner" if socket_path else base_url,
            headers={"Authorization": f"Bearer {secret}"},
            timeout=httpx.Timeout(timeout, connect=5.0),
            **_transport_kwargs(socket_path=socket_path, base_url=base_url, is_async=False),
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "RunnerClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, method: str, url: str, **kwargs) -> dict:
        try:
            return _check(self.http.request(method, url, **kwargs))
        except httpx.TransportError as error:
            raise exceptions.RunnerUnavailable() from error

    def _lines(self, url: str, body: dict) -> Iterator[dict]:
        try:
            with self.http.stream("POST", url, json=body) as response:
                if response.status_code >= 400:
                    response.read()
                    _check(response)
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        yield json.loads(line.removeprefix("data: "))
        except httpx.TransportError as error:
            raise exceptions.RunnerUnavailable() from error

    def health(self, *, timeout: float | None = None) -> dict:
        return self._call("GET", "/v1/health", **_timeout(timeout))

    def metrics(self, *, timeout: float | None = None) -> dict:
        return self._call("GET", "/v1/metrics", **_timeout(timeout))

    def create_session(
        self, *, user: str, context: str, kernel: str = "python3", datasets=(), on_queue=None, queue_timeout=None
    ) -> dict:
        body = session_request(
            user=user, context=context, kernel=kernel, datasets=datasets, queue_timeout=queue_timeout
        )
        for payload in self._lines("/v1/sessions", body):
            _raise_for(payload)
            if "queue" in payload and on_queue is not None:
                on_queue(payload["queue"])
            if "session" in payload:
                return payload["session"]
        raise exceptions.RunnerUnavailable()

    def execute(
        self, session_id: str, *, user: str, code: str, on_output: OutputCallback | None = None
    ) -> ExecuteReply:
        lines = self._lines(f"/v1/sessions/{session_id}/execute", {"user": user, "code": code})
        return _reply_from(lines, on_output)

    def status(self, session_id: str, *, user: str, timeout: float | None = None) -> dict:
        return self._call("GET", f"/v1/sessions/{session_id}", params={"user": user}, **_timeout(timeout))

    def interrupt(self, session_id: str, *, user: str) -> dict:
        return self._call("POST", f"/v1/sessions/{session_id}/interrupt", json={"user": user})

    def restart(self, session_id: str, *, user: str) -> dict:
        return self._call("POST", f"/v1/sessions/{session_id}/restart", json={"user": user})

    def shutdown(self, session_id: str, *, user: str) -> dict:
        return self._call("DELETE", f"/v1/sessions/{session_id}", params={"user": user})

    def complete(self, session_id: str, *, user: str, code: str, cursor_pos: int) -> dict:
        body = {"user": user, "code": code, "cursor_pos": cursor_pos}
        return self._call("POST", f"/v1/sessions/{session_id}/complete", json=body)

    def inspect(self, session_id: str, *, user: str, code: str, cursor_pos: int) -> dict:
        body = {"user": user, "code": code, "cursor_pos": cursor_pos}
        return self._call("POST", f"/v1/sessions/{session_id}/inspect", json=body)

    def grade(self, *, code: str, tests: list[dict], datasets=(), timeout: float | None = None) -> dict:
        body = {"code": code, "tests": tests, "datasets": list(datasets), "timeout": timeout}
        return self._call("POST", "/v1/grade", json=body)


class AsyncRunnerClient:
    """Non-blocking client, for ASGI views that stream output to the browser."""

    def __init__(self, *, base_url: str, secret: str, socket_path: str = "", timeout: float = 120.0):
        self.http = httpx.AsyncClient(
            base_url="http://runner" if socket_path else base_url,
            headers={"Authorization": f"Bearer {secret}"},
            timeout=httpx.Timeout(timeout, connect=5.0),
            **_transport_kwargs(socket_path=socket_path, base_url=base_url, is_async=True),
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> "AsyncRunnerClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def _call(self, method: str, url: str, **kwargs) -> dict:
        try:
            return _check(await self.http.request(method, url, **kwargs))
        except httpx.TransportError as error:
            raise exceptions.RunnerUnavailable() from error

    async def _lines(self, url: str, body: dict) -> AsyncIterator[dict]:
        try:
            async with self.http.stream("POST", url, json=body) as response:
                if response.status_code >= 400:
                    await response.aread()
                    _check(response)
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        yield json.loads(line.removeprefix("data: "))
        except httpx.TransportError as error:
            raise exceptions.RunnerUnavailable() from error

    async def health(self, *, timeout: float | None = None) -> dict:
        return await self._call("GET", "/v1/health", **_timeout(timeout))

    async def metrics(self, *, timeout: float | None = None) -> dict:
        return await self._call("GET", "/v1/metrics", **_timeout(timeout))

    async def create_session(
        self, *, user: str, context: str, kernel: str = "python3", datasets=(), on_queue=None, queue_timeout=None
    ) -> dict:
        body = session_request(
            user=user, context=context, kernel=kernel, datasets=datasets, queue_timeout=queue_timeout
        )
        async for payload in self._lines("/v1/sessions", body):
            _raise_for(payload)
            if "queue" in payload and on_queue is not None:
                await on_queue(payload["queue"])
            if "session" in payload:
                return payload["session"]
        raise exceptions.RunnerUnavailable()

    async def execute(
        self,
        session_id: str,
        *,
        user: str,
        code: str,
        on_output: AsyncOutputCallback | None = None,
        store_history: bool = True,
    ) -> ExecuteReply:
        outputs: list[dict] = []
        body = {"user": user, "code": code, "store_history": store_history}
        async for payload in self._lines(f"/v1/sessions/{session_id}/execute", body):
            _raise_for(payload)
            if "output" in payload:
                outputs.append(payload["output"])
                if on_output is not None:
                    await on_output(payload["output"])
            elif "result" in payload:
                return ExecuteReply(outputs=outputs, **payload["result"])
        raise exceptions.RunnerUnavailable("The code service stopped answering during the run.")

    async def status(self, session_id: str, *, user: str, timeout: float | None = None) -> dict:
        return await self._call("GET", f"/v1/sessions/{session_id}", params={"user": user}, **_timeout(timeout))

    async def interrupt(self, session_id: str, *, user: str) -> dict:
        return await self._call("POST", f"/v1/sessions/{session_id}/interrupt", json={"user": user})

    async def restart(self, session_id: str, *, user: str) -> dict:
        return await self._call("POST", f"/v1/sessions/{session_id}/restart", json={"user": user})

    async def shutdown(self, session_id: str, *, user: str) -> dict:
        return await self._call("DELETE", f"/v1/sessions/{session_id}", params={"user": user})

    async def complete(self, session_id: str, *, user: str, code: str, cursor_pos: int) -> dict:
        body = {"user": user, "code": code, "cursor_pos": cursor_pos}
        return await self._call("POST", f"/v1/sessions/{session_id}/complete", json=body)

    async def inspect(self, session_id: str, *, user: str, code: str, cursor_pos: int) -> dict:
        body = {"user": user, "code": code, "cursor_pos": cursor_pos}
        return await self._call("POST", f"/v1/sessions/{session_id}/inspect", json=body)

    async def grade(self, *, code: str, tests: list[dict], datasets=(), timeout: float | None = None) -> dict:
        body = {"code": code, "tests": tests, "datasets": list(datasets), "timeout": timeout}
        return await self._call("POST", "/v1/grade", json=body)
