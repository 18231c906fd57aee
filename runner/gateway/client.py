"""The gateway clients: `AsyncGatewayClient` and the blocking `GatewayClient`, with the runner client's API."""

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import Any

import aiohttp

from ..exceptions import (
    CellTimeout,
    CodeTooLarge,
    KernelDied,
    PoolExhausted,
    RunnerError,
    RunnerUnavailable,
    SessionNotFound,
    UnknownKernelSpec,
)
from ..grading_protocol import (
    GradingResult,
    GradingTest,
    grading_tests_from,
    harness_cell,
    new_nonce,
    not_run,
    parse_results,
)
from ..iopub import CellRun, message_type, parent_id
from ..outputs import OutputBudget
from ..replies import ExecuteReply
from .channels import ChannelClosed, Channels
from .config import (
    CREDENTIALS_MESSAGE,
    DEAD_MESSAGE,
    DIED_MESSAGE,
    MAX_WS_MESSAGE_BYTES,
    PROTECTIONS,
    READY_ATTEMPT,
    READY_TIMEOUT,
    REQUEST_TIMEOUT,
    AsyncOutputCallback,
    GatewayConfig,
    settings_kwargs,
)
from .sessions import DEFAULT_REGISTRY, GatewaySession, InMemorySessionRegistry, describe_session


class AsyncGatewayClient:
    """Non-blocking client of a Jupyter Kernel Gateway, with `AsyncRunnerClient`'s API."""

    def __init__(
        self, *, config: GatewayConfig | None = None, registry: InMemorySessionRegistry | None = None, **settings
    ):
        """`config`, or `settings` for `GatewayConfig.resolve` (base_url, token, timeout and the limits)."""
        self.config = config if config is not None else GatewayConfig.resolve(**settings)
        self.registry = registry if registry is not None else DEFAULT_REGISTRY
        self._http: aiohttp.ClientSession | None = None

    # -- plumbing ----------------------------------------------------------------------------------

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> "AsyncGatewayClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            headers = {"Authorization": f"token {self.config.token}"} if self.config.token else {}
            self._http = aiohttp.ClientSession(
                headers=headers, timeout=aiohttp.ClientTimeout(total=self.config.timeout, connect=5.0)
            )
        return self._http

    async def _request(self, method: str, path: str, *, json_body: dict | None = None) -> tuple[int, Any]:
        """(status, decoded JSON or None); transport failures and bad credentials are RunnerUnavailable."""
        try:
            async with self._session().request(method, self.config.base_url + path, json=json_body) as response:
                status, text = response.status, await response.text()
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise RunnerUnavailable() from error
        if status == 401:
            raise RunnerUnavailable(CREDENTIALS_MESSAGE)
        if status in (502, 503, 504):
            raise RunnerUnavailable()
        try:
            payload = json.loads(text) if text else None
        except ValueError:
            payload = None
        return status, payload

    async def _kernel_call(self, method: str, session: GatewaySession, action: str = "") -> Any:
        """A REST call on one session's kernel; a kernel the gateway no longer has ends the session."""
        status, payload = await self._request(method, f"/api/kernels/{session.session_id}{action}")
        if status == 404:
            self.registry.remove(session.session_id)
            raise SessionNotFound()
        if status >= 400:
            raise RunnerError()
        return payload

    async def _kernel_model(self, session_id: str) -> dict | None:
        status, payload = await self._request("GET", f"/api/kernels/{session_id}")
        if status == 404:
            return None
        if status >= 400 or not isinstance(payload, dict):
            raise RunnerError()
        return payload

    def _spec_name(self, kernel: str) -> str:
        """The gateway's name for a panlearn kernel: its Python kernel is whichever spec the settings name."""
        return self.config.kernel_name if kernel == "python3" else kernel

    async def _start_kernel(self, kernel: str, env: dict[str, str]) -> dict:
        body = {"name": self._spec_name(kernel), "env": env}
        status, payload = await self._request("POST", "/api/kernels", json_body=body)
        if status == 403:
            raise PoolExhausted("All code sessions are busy. Try again in a minute.")
        if status >= 400 or not isinstance(payload, dict) or "id" not in payload:
            self.registry.count("kernel_start_failures")
            raise KernelDied("Your Python session could not be started. Try again in a few seconds.")
        self.registry.count("kernels_started")
        return payload

    async def _delete_kernel(self, kernel_id: str) -> None:
        status, _ = await self._request("DELETE", f"/api/kernels/{kernel_id}")
        if status >= 400 and status != 404:
            raise RunnerError()

    async def _check_spec(self, kernel: str) -> None:
        status, payload = await self._request("GET", "/api/kernelspecs")
        if status >= 400 or not isinstance(payload, dict):
            raise RunnerError()
        if self._spec_name(kernel) not in (payload.get("kernelspecs") or {}):
            raise UnknownKernelSpec(f"There is no “{kernel[:40]}” kernel on this server.")

    async def _connect(self, kernel_id: str) -> Channels:
        url = self.config.base_url.replace("http", "ws", 1) + f"/api/kernels/{kernel_id}/channels"
        try:
            ws = await self._session().ws_connect(
                url, params={"session_id": uuid.uuid4().hex}, max_msg_size=MAX_WS_MESSAGE_BYTES, autoping=True
            )
        except aiohttp.WSServerHandshakeError as error:
            if error.status == 404:
                self.registry.remove(kernel_id)
                raise SessionNotFound() from error
            if error.status in (401, 403):
                raise RunnerUnavailable(CREDENTIALS_MESSAGE) from error
            raise RunnerUnavailable() from error
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            raise RunnerUnavailable() from error
        return Channels(ws)

    @contextlib.asynccontextmanager
    async def _channels(self, kernel_id: str) -> AsyncIterator[Channels]:
        """A WebSocket whose kernel has answered on it. A socket opened while the gateway restarts a
        dead kernel can be wired to the old ports and never hear back: then it is opened again."""
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            channels = await self._connect(kernel_id)
            if await channels.ready(min(READY_ATTEMPT, max(deadline - time.monotonic(), 0.001))):
                break
            await channels.close()
            model = await self._kernel_model(kernel_id)
            if model is None:
                self.registry.remove(kernel_id)
                raise SessionNotFound()
            if model.get("execution_state") == "dead" or time.monotonic() >= deadline:
                raise KernelDied("Your Python session does not answer. Restart it and try again.")
        try:
            yield channels
        finally:
            await channels.close()

    def _owned(self, session_id: str, user: str) -> GatewaySession:
        session = self.registry.get(str(session_id))
        if session is None or session.user != str(user):  # another user's id looks exactly like a missing one
            raise SessionNotFound()
        return session

    def _check_code(self, code: str) -> None:
        size = len(code.encode("utf-8", errors="replace"))
        if size > self.config.max_code_bytes:
            raise CodeTooLarge(
                f"This code is {size // 1024} KiB; cells are limited to {self.config.max_code_bytes // 1024} KiB."
            )

    def _budget(self) -> OutputBudget:
        return OutputBudget(max_text_bytes=self.config.max_text_bytes, max_image_bytes=self.config.max_image_bytes)

    def _restarted(self, session: GatewaySession, cause: str) -> GatewaySession:
        self.registry.count(f"restarts:{cause}")
        session = replace(session, restarts=session.restarts + 1)
        if self.registry.get(session.session_id) is not None:
            self.registry.put(session)
        return session

    # -- running a cell ----------------------------------------------------------------------------

    async def _run_cell(
        self,
        channels: Channels,
        kernel_id: str,
        code: str,
        *,
        timeout: float,
        grace: float,
        budget: OutputBudget,
        on_output: AsyncOutputCallback | None = None,
        store_history: bool = True,
        restart_on_timeout: bool = True,
    ) -> ExecuteReply:
        """Run one cell; outputs go to `on_output` as they arrive. After `timeout` the kernel is
        interrupted; if the cell is still running `grace` seconds later, the kernel is restarted."""
        started = time.monotonic()  # the send counts, as on the kernel host
        content = {"code": code, "silent": False, "store_history": store_history, "user_expressions": {}}
        try:
            msg_id = await channels.send("execute_request", {**content, "allow_stdin": False, "stop_on_error": True})
        except ChannelClosed:
            raise RunnerUnavailable() from None
        run = CellRun(ExecuteReply(status="ok"), msg_id, timeout=timeout, grace=grace, budget=budget,
                      on_output=on_output, started=started)  # fmt: skip
        while True:
            now = time.monotonic()
            if run.interrupt_due(now):
                await self._request("POST", f"/api/kernels/{kernel_id}/interrupt")
                run.interrupted(now := time.monotonic())
            if run.stuck(now):
                if restart_on_timeout:
                    await self._request("POST", f"/api/kernels/{kernel_id}/restart")
                run.gave_up(restarted=restart_on_timeout)
                break
            try:
                message = await channels.receive(run.seconds_left(now))
            except ChannelClosed:
                run.died("gone", DEAD_MESSAGE)
                break
            if not message:
                continue
            state = message.get("content", {}).get("execution_state") if message_type(message) == "status" else None
            if state in ("restarting", "dead"):  # sent by the gateway, not the kernel: no parent
                run.died(*(("died", DIED_MESSAGE) if state == "restarting" else ("gone", DEAD_MESSAGE)))
                break
            if message.get("channel", "iopub") == "iopub" and run.is_ours(message) and await run.take(message):
                break
        return run.finish()

    async def _shell_request(self, kernel_id: str, msg_type: str, content: dict) -> dict:
        """A shell request with a reply (complete_request, inspect_request): the reply's content."""
        async with self._channels(kernel_id) as channels:
            try:
                msg_id = await channels.send(msg_type, content)
                deadline = time.monotonic() + REQUEST_TIMEOUT
                while (remaining := deadline - time.monotonic()) > 0:
                    message = await channels.receive(remaining)
                    if message and message.get("channel") == "shell" and parent_id(message) == msg_id:
                        return message.get("content", {})
            except ChannelClosed:
                raise RunnerUnavailable() from None
        raise CellTimeout("The editor's request took too long.")

    # -- the runner API ----------------------------------------------------------------------------

    async def health(self) -> dict:
        status, payload = await self._request("GET", "/api")
        if status >= 400:
            raise RunnerUnavailable()
        return {
            "status": "ok",
            "secure": False,
            "backend": "gateway",
            # Enterprise Gateway names its own version apart from jupyter_server's.
            "gateway_version": (payload or {}).get("gateway_version") or (payload or {}).get("version", ""),
            "protections": {name: dict(check) for name, check in PROTECTIONS.items()},
        }

    async def metrics(self) -> dict:
        status, payload = await self._request("GET", "/api/kernels")
        listed = status < 400 and isinstance(payload, list)  # the gateway lists kernels only with list_kernels
        states = {kernel.get("id"): kernel.get("execution_state") for kernel in payload} if listed else {}
        sessions = self.registry.many(states) if listed else self.registry.all()
        busy = sum(1 for session in sessions if states.get(session.session_id) == "busy")
        counters = self.registry.counters()
        return {
            "backend": "gateway",
            "kernels_listed": listed,
            "kernels_total": len(states) if listed else None,
            "kernels_busy": sum(1 for state in states.values() if state == "busy") if listed else None,
            "kernels_starting": sum(1 for state in states.values() if state == "starting") if listed else None,
            "connections": sum(kernel.get("connections", 0) for kernel in payload) if listed else None,
            "kernels_max": None,
            "pool_idle": 0,
            "pool_target": 0,
            "queue_length": 0,
            "sessions": len(sessions),
            "sessions_busy": busy,
            "sessions_idle": len(sessions) - busy,
            "kernels_started": counters.get("kernels_started", 0),
            "kernel_start_failures": counters.get("kernel_start_failures", 0),
            "restarts_by_cause": {
                name.removeprefix("restarts:"): value
                for name, value in counters.items()
                if name.startswith("restarts:")
            },
            "sessions_culled": 0,
        }

    async def create_session(
        self, *, user: str, context: str, kernel: str = "python3", datasets=(), on_queue=None
    ) -> dict:
        """A kernel for this user and context: the live one they have, else a new one. No queue here."""
        user, context, kernel = str(user), str(context), str(kernel)
        dataset_ids = tuple(str(item) for item in datasets)
        existing = self.registry.find(user=user, context=context, kernel=kernel, datasets=dataset_ids)
        if existing is not None:
            model = await self._kernel_model(existing.session_id)
            if model is not None and model.get("execution_state") != "dead":
                return describe_session(existing, model)
            self.registry.remove(existing.session_id)
            with contextlib.suppress(RunnerError):
                await self._delete_kernel(existing.session_id)
        await self._check_spec(kernel)
        env = {"KERNEL_USERNAME": user, "KERNEL_PANLEARN_CONTEXT": context}
        if dataset_ids:
            env["KERNEL_PANLEARN_DATASETS"] = ",".join(dataset_ids)
        model = await self._start_kernel(kernel, env)
        session = GatewaySession(
            session_id=model["id"], user=user, context=context, kernel=kernel, datasets=dataset_ids
        )
        self.registry.put(session)
        return describe_session(session, model)

    async def execute(
        self,
        session_id: str,
        *,
        user: str,
        code: str,
        on_output: AsyncOutputCallback | None = None,
        store_history: bool = True,
    ) -> ExecuteReply:
        session = self._owned(session_id, user)
        code = str(code)
        self._check_code(code)
        async with self._channels(session.session_id) as channels:
            reply = await self._run_cell(
                channels,
                session.session_id,
                code,
                timeout=self.config.cell_timeout,
                grace=self.config.interrupt_grace,
                budget=self._budget(),
                on_output=on_output,
                store_history=store_history,
            )
        if reply.status == "died" or reply.cause == "stuck":
            session = self._restarted(session, "died" if reply.status == "died" else "timeout")
        if reply.cause == "gone":  # the gateway could not bring it back: the session is over
            self.registry.remove(session.session_id)
            reply.session = {**describe_session(session, None), "status": "dead"}
        else:
            reply.session = describe_session(session, {"execution_state": "idle"})
        return reply

    async def status(self, session_id: str, *, user: str) -> dict:
        session = self._owned(session_id, user)
        return describe_session(session, await self._kernel_call("GET", session))

    async def interrupt(self, session_id: str, *, user: str) -> dict:
        session = self._owned(session_id, user)
        await self._kernel_call("POST", session, "/interrupt")
        return describe_session(session, None)

    async def restart(self, session_id: str, *, user: str) -> dict:
        session = self._owned(session_id, user)
        model = await self._kernel_call("POST", session, "/restart")
        return describe_session(self._restarted(session, "requested"), model)

    async def shutdown(self, session_id: str, *, user: str) -> dict:
        session = self._owned(session_id, user)
        self.registry.remove(session.session_id)
        await self._delete_kernel(session.session_id)
        return {"deleted": session.session_id}

    async def complete(self, session_id: str, *, user: str, code: str, cursor_pos: int) -> dict:
        session = self._owned(session_id, user)
        self._check_code(str(code))
        content = {"code": str(code), "cursor_pos": int(cursor_pos)}
        return await self._shell_request(session.session_id, "complete_request", content)

    async def inspect(self, session_id: str, *, user: str, code: str, cursor_pos: int) -> dict:
        session = self._owned(session_id, user)
        self._check_code(str(code))
        content = {"code": str(code), "cursor_pos": int(cursor_pos), "detail_level": 0}
        return await self._shell_request(session.session_id, "inspect_request", content)

    async def grade(self, *, code: str, tests: list[dict], datasets=(), timeout: float | None = None) -> dict:
        """Code then tests in a fresh kernel that is deleted afterwards; the shape of the host's /v1/grade."""
        grading_tests = grading_tests_from(tests)
        code = str(code)
        self._check_code(code)
        cell_timeout = min(float(timeout), 600.0) if timeout else self.config.cell_timeout
        started = time.monotonic()
        env = {"KERNEL_USERNAME": "panlearn-grader", "KERNEL_PANLEARN_CONTEXT": "grading"}
        if datasets:
            env["KERNEL_PANLEARN_DATASETS"] = ",".join(str(item) for item in datasets)
        await self._check_spec("python3")
        kernel_id = (await self._start_kernel("python3", env))["id"]
        try:
            async with self._channels(kernel_id) as channels:
                result = await self._grade_in(channels, kernel_id, code=code, tests=grading_tests, timeout=cell_timeout)
        finally:
            with contextlib.suppress(RunnerError):
                await self._delete_kernel(kernel_id)
        result.duration_ms = (time.monotonic() - started) * 1000
        payload = asdict(result)
        payload["points"], payload["points_possible"] = result.points, result.points_possible
        return payload

    async def _grade_in(
        self, channels: Channels, kernel_id: str, *, code: str, tests: list[GradingTest], timeout: float
    ) -> GradingResult:
        """As `KernelHost._grade_in`: the student's cell, then the tests as a second cell under a nonce."""
        grace = self.config.interrupt_grace
        student = await self._run_cell(
            channels, kernel_id, code, timeout=timeout, grace=grace, budget=self._budget(), restart_on_timeout=False
        )
        result = GradingResult(status="completed", student_outputs=student.outputs)
        if student.truncated:
            result.limits_hit.append("output")
        if student.status in ("timeout", "died"):
            result.limits_hit.append(student.status)
            result.status, result.message = student.status, student.message
            result.tests = not_run(tests, "not_run", student.message)
            return result
        nonce = new_nonce()
        tests_timeout = sum(test.timeout for test in tests) + grace
        budget = OutputBudget(max_text_bytes=4 << 20, max_image_bytes=0)
        run = await self._run_cell(
            channels,
            kernel_id,
            harness_cell(tests, nonce),
            timeout=tests_timeout,
            grace=1.0,
            budget=budget,
            store_history=False,
            restart_on_timeout=False,
        )
        outcomes = parse_results(run.outputs, tests, nonce)
        if outcomes is None:
            result.status = run.status if run.status in ("timeout", "died") else "error"
            result.message = run.message or "The tests could not report their results."
            if run.status in ("timeout", "died"):
                result.limits_hit.append(run.status)
            outcomes = not_run(tests, "error", result.message)
        result.tests = outcomes
        return result


def run_sync(coroutine: Awaitable) -> Any:
    """Run a coroutine to completion from sync code; from inside a running loop, on a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gateway-client") as pool:
        return pool.submit(asyncio.run, coroutine).result()


class GatewayClient:
    """Blocking client, for tasks and management commands: each call runs the async client on a
    short-lived event loop in the calling thread, so callbacks run in the caller's thread too."""

    def __init__(self, *, registry: InMemorySessionRegistry | None = None, **settings):
        self.config = GatewayConfig.resolve(**settings)  # settings are read once, as the async client's
        self.registry = registry if registry is not None else DEFAULT_REGISTRY

    def close(self) -> None:
        pass

    def __enter__(self) -> "GatewayClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _call(self, name: str, *args, **kwargs) -> Any:
        async def call():
            async with AsyncGatewayClient(config=self.config, registry=self.registry) as client:
                return await getattr(client, name)(*args, **kwargs)

        return run_sync(call())

    def health(self) -> dict:
        return self._call("health")

    def metrics(self) -> dict:
        return self._call("metrics")

    def create_session(self, *, user: str, context: str, kernel: str = "python3", datasets=(), on_queue=None) -> dict:
        return self._call("create_session", user=user, context=context, kernel=kernel, datasets=datasets)

    def execute(
        self, session_id: str, *, user: str, code: str, on_output: Callable[[dict], None] | None = None
    ) -> ExecuteReply:
        relay = None
        if on_output is not None:

            async def relay(output: dict) -> None:
                on_output(output)

        return self._call("execute", session_id, user=user, code=code, on_output=relay)

    def status(self, session_id: str, *, user: str) -> dict:
        return self._call("status", session_id, user=user)

    def interrupt(self, session_id: str, *, user: str) -> dict:
        return self._call("interrupt", session_id, user=user)

    def restart(self, session_id: str, *, user: str) -> dict:
        return self._call("restart", session_id, user=user)

    def shutdown(self, session_id: str, *, user: str) -> dict:
        return self._call("shutdown", session_id, user=user)

    def complete(self, session_id: str, *, user: str, code: str, cursor_pos: int) -> dict:
        return self._call("complete", session_id, user=user, code=code, cursor_pos=cursor_pos)

    def inspect(self, session_id: str, *, user: str, code: str, cursor_pos: int) -> dict:
        return self._call("inspect", session_id, user=user, code=code, cursor_pos=cursor_pos)

    def grade(self, *, code: str, tests: list[dict], datasets=(), timeout: float | None = None) -> dict:
        return self._call("grade", code=code, tests=tests, datasets=datasets, timeout=timeout)


def get_gateway_client() -> GatewayClient:
    return GatewayClient(**settings_kwargs())


def get_async_gateway_client() -> AsyncGatewayClient:
    return AsyncGatewayClient(**settings_kwargs())
