"""The gateway backend's settings and the constants of its protocol."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..host_config import HostConfig

AsyncOutputCallback = Callable[[dict], Awaitable[None]]
PROTOCOL_VERSION = "5.3"
MAX_WS_MESSAGE_BYTES = 64 << 20  # one kernel message; what reaches the student is capped by OutputBudget
REQUEST_TIMEOUT = 5.0  # complete_request / inspect_request
READY_TIMEOUT = 30.0  # a kernel that is (re)starting must answer on its WebSocket within this
READY_ATTEMPT = 1.0  # ... and on one WebSocket within this, else the socket is opened again
READY_ROUND = 0.2  # kernel_info_request is sent again this often while waiting
DIED_MESSAGE = "Your Python session stopped unexpectedly and was restarted."
DEAD_MESSAGE = "Your Python session stopped unexpectedly. Run the cell again to start a new one."
CREDENTIALS_MESSAGE = "The code service rejected this server's credentials."
PROTECTIONS = {
    "isolation": {
        "ok": False,
        "detail": "Kernels run wherever the Kernel Gateway starts them: sandboxing, memory and process limits "
        "come from the gateway's deployment, which panlearn cannot check.",
    },
    "environment": {
        "ok": True,
        "detail": "Kernels get only PATH, the gateway's env_process_whitelist and KERNEL_* variables.",
    },
}


def setting_or(name: str, default: Any) -> Any:
    """A Django setting when Django is configured, else `default` (so the module works without Django)."""
    try:
        from django.conf import settings
    except ImportError:  # pragma: no cover - Django is always installed in panlearn
        return default
    return getattr(settings, name, default) if settings.configured else default


@dataclass(frozen=True)
class GatewayConfig:
    base_url: str
    token: str = ""
    # The same defaults as the kernel host's (runner/host_config.py).
    cell_timeout: float = HostConfig.cell_timeout
    interrupt_grace: float = HostConfig.interrupt_grace
    max_code_bytes: int = HostConfig.max_code_bytes
    max_text_bytes: int = HostConfig.max_text_bytes
    max_image_bytes: int = HostConfig.max_image_bytes
    timeout: float = 120.0  # one REST call (starting a kernel included)
    # The gateway's kernelspec for panlearn's Python kernel (the only one a gateway offers students): on
    # Kubernetes, the panlearn image under Enterprise Gateway's process proxy (deploy/kubernetes/kernelspec.yaml).
    kernel_name: str = "python3"

    @classmethod
    def resolve(
        cls,
        *,
        base_url: str,
        token: str = "",
        timeout: float = 120.0,
        cell_timeout: float | None = None,
        interrupt_grace: float | None = None,
        max_code_bytes: int | None = None,
        max_text_bytes: int | None = None,
        max_image_bytes: int | None = None,
        kernel_name: str | None = None,
    ) -> "GatewayConfig":
        """Explicit values win; the rest come from Django settings if configured, else the defaults above."""
        given = {
            "cell_timeout": (cell_timeout, "PANLEARN_RUNNER_CELL_TIMEOUT"),
            "interrupt_grace": (interrupt_grace, "PANLEARN_RUNNER_INTERRUPT_GRACE"),
            "max_code_bytes": (max_code_bytes, "PANLEARN_RUNNER_MAX_CODE_BYTES"),
            "max_text_bytes": (max_text_bytes, "PANLEARN_RUNNER_MAX_TEXT_BYTES"),
            "max_image_bytes": (max_image_bytes, "PANLEARN_RUNNER_MAX_IMAGE_BYTES"),
            "kernel_name": (kernel_name, "PANLEARN_RUNNER_GATEWAY_KERNEL"),
        }
        values = {
            name: value if value is not None else setting_or(setting, cls.__dataclass_fields__[name].default)
            for name, (value, setting) in given.items()
        }
        return cls(base_url=base_url.rstrip("/"), token=token, timeout=timeout, **values)


def settings_kwargs() -> dict:
    from django.conf import settings

    return {
        "base_url": settings.PANLEARN_RUNNER_GATEWAY_URL,
        "token": settings.PANLEARN_RUNNER_GATEWAY_TOKEN,
        "registry": settings_registry(),
    }


def cache_is_redis() -> bool:
    from django.conf import settings

    return settings.CACHES.get("default", {}).get("BACKEND", "").endswith("RedisCache")


def settings_registry():
    """With Redis as the cache (several web processes, web pods), every process shares one session registry;
    otherwise this process keeps its own. The async client calls the registry on its event loop, which a
    Redis round trip on a private network barely holds, and a database cache may not do at all."""
    from .sessions import DEFAULT_REGISTRY, CacheSessionRegistry

    return CacheSessionRegistry() if cache_is_redis() else DEFAULT_REGISTRY
