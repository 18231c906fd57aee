"""Remote backend: the runner's client API served by a Jupyter Kernel Gateway.

`GatewayClient` (blocking) and `AsyncGatewayClient` expose the same methods, return shapes and
typed errors as `runner.client.RunnerClient` / `AsyncRunnerClient`, but drive a Jupyter Kernel
Gateway (jupyter-kernel-gateway, `jupyter-websocket` personality): kernels are started, interrupted,
restarted and deleted over REST (`/api/kernels`), and code runs over the kernel's WebSocket
(`/api/kernels/{id}/channels`, the Jupyter message protocol as JSON, one connection per request).
Every request carries `Authorization: token <token>`.

Sessions. A session id is the gateway's kernel id (a random UUID). Which user and context own it
lives in a session registry; the default one is shared by every client in this process. An id
that is not in the registry, or that belongs to another user, is `SessionNotFound`, exactly like
a missing one. The kernel is not asked who owns it: it runs the student's code, which can rewrite
anything the kernel would answer. A multi-process deployment needs a shared registry (Django's
cache, say): it only has to provide the methods of `InMemorySessionRegistry`.

Isolation. The gateway starts kernels wherever and however its deployment says (containers,
Enterprise Gateway, ...); panlearn cannot check that, so `health()` reports `secure: False`.
Kernels receive only `PATH`, the gateway's `env_process_whitelist` and the `KERNEL_*` variables
sent here, never the gateway's own environment.
"""

from .client import AsyncGatewayClient, GatewayClient, get_async_gateway_client, get_gateway_client
from .config import GatewayConfig
from .sessions import GatewaySession, InMemorySessionRegistry

__all__ = [
    "AsyncGatewayClient",
    "GatewayClient",
    "GatewayConfig",
    "GatewaySession",
    "InMemorySessionRegistry",
    "get_async_gateway_client",
    "get_gateway_client",
]
