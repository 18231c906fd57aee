"""HTTP API of the kernel host (aiohttp), on a unix socket or a loopback port.

Every route but /v1/health needs `Authorization: Bearer <PANLEARN_RUNNER_SECRET>`. Streaming
routes answer server-sent events: one `data:` JSON object per event, sent as soon as the kernel
produces it.
"""

import hmac
import json
import logging
import os
from dataclasses import asdict

from aiohttp import web

from . import exceptions
from .exceptions import QUEUE_TIMEOUT
from .grading_protocol import grading_tests_from
from .host import KernelHost

logger = logging.getLogger(__name__)
HOST_KEY = web.AppKey("host", KernelHost)
SECRET_KEY = web.AppKey("secret", str)
MAX_REQUEST_BYTES = 8 << 20
STATUS_BY_ERROR = {
    exceptions.SessionNotFound: 404,
    exceptions.CodeTooLarge: 413,
    exceptions.UnknownKernelSpec: 400,
    exceptions.DatasetUnavailable: 422,
    exceptions.TooManySessions: 429,
    exceptions.PoolExhausted: 503,
    exceptions.SandboxUnavailable: 503,
}


def error_response(error: exceptions.RunnerError) -> web.Response:
    status = STATUS_BY_ERROR.get(type(error), 500)
    return web.json_response({"error": {"type": type(error).__name__, "message": error.message}}, status=status)


@web.middleware
async def errors_and_auth(request: web.Request, handler):
    if request.path != "/v1/health":
        expected = request.app[SECRET_KEY]
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return web.json_response({"error": {"type": "Unauthorized", "message": "Bad runner secret."}}, status=401)
    try:
        return await handler(request)
    except exceptions.RunnerError as error:
        return error_response(error)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        message = f"Malformed request: {error}"
        return web.json_response({"error": {"type": "BadRequest", "message": message[:500]}}, status=400)


async def _body(request: web.Request) -> dict:
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


def _session(request: web.Request, user: str):
    return request.app[HOST_KEY].get_session(request.match_info["session_id"], user=str(user))


async def _stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    return response


async def _send(response: web.StreamResponse, payload: dict) -> None:
    await response.write(b"data: " + json.dumps(payload).encode() + b"\n\n")


async def health(request: web.Request) -> web.Response:
    return web.json_response(request.app[HOST_KEY].health())


async def metrics(request: web.Request) -> web.Response:
    return web.json_response(request.app[HOST_KEY].metrics())


def _queue_timeout(body: dict) -> float:
    """The client's limit on waiting in this host's queue for a kernel, within the host's own."""
    asked = body.get("queue_timeout", QUEUE_TIMEOUT)
    if isinstance(asked, bool) or not isinstance(asked, int | float):
        return QUEUE_TIMEOUT
    try:
        asked = float(asked)
    except OverflowError:  # an integer too large for a float
        return QUEUE_TIMEOUT
    return min(max(asked, 0.0), QUEUE_TIMEOUT) if asked == asked else QUEUE_TIMEOUT  # NaN: the host's


async def create_session(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    host = request.app[HOST_KEY]
    response = await _stream(request)

    async def on_queue(position: int) -> None:
        await _send(response, {"queue": position})

    try:
        session = await host.create_session(
            user=str(body["user"]),
            context=str(body.get("context", "")),
            kernel_name=str(body.get("kernel", "python3")),
            datasets=[str(item) for item in body.get("datasets", [])],
            on_queue=on_queue,
            queue_timeout=_queue_timeout(body),
        )
        await _send(response, {"session": session.describe()})
    except exceptions.RunnerError as error:
        await _send(response, {"error": {"type": type(error).__name__, "message": error.message}})
    await response.write_eof()
    return response


async def session_status(request: web.Request) -> web.Response:
    return web.json_response(_session(request, request.query.get("user", "")).describe())


async def delete_session(request: web.Request) -> web.Response:
    session = _session(request, request.query.get("user", ""))
    await request.app[HOST_KEY].shutdown_session(session)
    return web.json_response({"deleted": session.id})


async def execute(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    host = request.app[HOST_KEY]
    session = _session(request, body["user"])
    code = str(body["code"])
    host.check_code(code)  # before the stream starts, so an oversized cell is a 413
    response = await _stream(request)

    async def on_output(output: dict) -> None:
        await _send(response, {"output": output})

    async def on_status(state: str) -> None:
        await _send(response, {"status": state})  # the kernel's own busy/idle, for the editor's indicator

    try:
        # store_history=False keeps code (a lesson's setup) out of In/_ih/%history in the kernel.
        store_history = body.get("store_history", True) is not False
        result = await host.execute(
            session, code, on_output=on_output, on_status=on_status, store_history=store_history
        )
        summary = asdict(result)
        summary.pop("outputs")
        summary["session"] = session.describe()
        await _send(response, {"result": summary})
    except exceptions.RunnerError as error:
        await _send(response, {"error": {"type": type(error).__name__, "message": error.message}})
    except ConnectionResetError:
        logger.info("Client left during execution of session %s", session.id)
    await response.write_eof()
    return response


async def interrupt(request: web.Request) -> web.Response:
    session = _session(request, (await _body(request))["user"])
    await request.app[HOST_KEY].interrupt(session)
    return web.json_response(session.describe())


async def restart(request: web.Request) -> web.Response:
    session = _session(request, (await _body(request))["user"])
    await request.app[HOST_KEY].restart(session)
    return web.json_response(session.describe())


async def complete(request: web.Request) -> web.Response:
    body = await _body(request)
    session = _session(request, body["user"])
    reply = await request.app[HOST_KEY].complete(session, str(body["code"]), int(body["cursor_pos"]))
    return web.json_response(reply)


async def inspect(request: web.Request) -> web.Response:
    body = await _body(request)
    session = _session(request, body["user"])
    reply = await request.app[HOST_KEY].inspect(session, str(body["code"]), int(body["cursor_pos"]))
    return web.json_response(reply)


async def grade(request: web.Request) -> web.Response:
    body = await _body(request)
    tests = grading_tests_from(body["tests"])
    timeout = body.get("timeout")
    result = await request.app[HOST_KEY].grade(
        code=str(body["code"]),
        tests=tests,
        datasets=[str(item) for item in body.get("datasets", [])],
        timeout=min(float(timeout), 600.0) if timeout else None,
    )
    payload = asdict(result)
    payload["points"], payload["points_possible"] = result.points, result.points_possible
    return web.json_response(payload)


def build_app(host: KernelHost, *, secret: str) -> web.Application:
    app = web.Application(middlewares=[errors_and_auth], client_max_size=MAX_REQUEST_BYTES)
    app[HOST_KEY] = host
    app[SECRET_KEY] = secret

    async def lifecycle(app: web.Application):
        await host.start()
        yield
        await host.close()

    app.cleanup_ctx.append(lifecycle)
    app.add_routes(
        [
            web.get("/v1/health", health),
            web.get("/v1/metrics", metrics),
            web.post("/v1/sessions", create_session),
            web.get("/v1/sessions/{session_id}", session_status),
            web.delete("/v1/sessions/{session_id}", delete_session),
            web.post("/v1/sessions/{session_id}/execute", execute),
            web.post("/v1/sessions/{session_id}/interrupt", interrupt),
            web.post("/v1/sessions/{session_id}/restart", restart),
            web.post("/v1/sessions/{session_id}/complete", complete),
            web.post("/v1/sessions/{session_id}/inspect", inspect),
            web.post("/v1/grade", grade),
        ]
    )
    return app


def serve(
    host: KernelHost, *, secret: str, socket_path: str = "", port: int = 8787, address: str = "127.0.0.1"
) -> None:
    """Run until interrupted. A unix socket is created with mode 0600, in a directory made if missing."""
    app = build_app(host, secret=secret)
    if socket_path:
        os.makedirs(os.path.dirname(os.path.abspath(socket_path)), mode=0o700, exist_ok=True)
        _remove_stale_socket(socket_path)
        os.umask(0o077)  # the socket file is then owner-only, like the secret
        web.run_app(app, path=socket_path, print=None)
    else:
        web.run_app(app, host=address, port=port, print=None)


def _remove_stale_socket(path: str) -> None:
    """A socket file left by a crashed host would block the bind; a live host keeps its socket."""
    import socket

    if not os.path.exists(path):
        return
    probe = socket.socket(socket.AF_UNIX)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)
    else:
        raise SystemExit(f"Another kernel host is already listening on {path}.")
    finally:
        probe.close()
