"""Operator settings of the kernel runner (see docs/operator.md, "Runner")."""

from panlearn.settings.env import env_bool, env_int, env_str

from .host_config import HostConfig as _HostConfig
from .host_config import Limits as _Limits

# Where the kernel host listens: a unix socket path (preferred) ...
PANLEARN_RUNNER_SOCKET = env_str("PANLEARN_RUNNER_SOCKET", "")
# ... or a loopback URL such as http://127.0.0.1:8787 when no socket is set.
PANLEARN_RUNNER_URL = env_str("PANLEARN_RUNNER_URL", "http://127.0.0.1:8787")
# Several kernel hosts, each its own machine in production: "a=unix:/run/panlearn/a.sock,b=http://10.0.0.6:8787".
# When set, it replaces PANLEARN_RUNNER_SOCKET/URL; every host shares PANLEARN_RUNNER_SECRET.
PANLEARN_RUNNER_HOSTS = env_str("PANLEARN_RUNNER_HOSTS", "")
# Where new students and grades go: "least-loaded" (by the hosts' metrics) or "in-order" (the first host with room).
PANLEARN_RUNNER_PLACEMENT = env_str("PANLEARN_RUNNER_PLACEMENT", "least-loaded")
# Shared secret between Django and the kernel host; required in production.
PANLEARN_RUNNER_SECRET = env_str("PANLEARN_RUNNER_SECRET", "")
# Kernels kept started and idle, ready to hand out.
PANLEARN_RUNNER_POOL_SIZE = env_int("PANLEARN_RUNNER_POOL_SIZE", _HostConfig.pool_size)
# Hard ceiling of kernels (pooled plus in use) on this host.
PANLEARN_RUNNER_MAX_KERNELS = env_int("PANLEARN_RUNNER_MAX_KERNELS", _HostConfig.max_kernels)
# Live sessions one user may hold at once.
PANLEARN_RUNNER_KERNELS_PER_USER = env_int("PANLEARN_RUNNER_KERNELS_PER_USER", _HostConfig.kernels_per_user)
# A session idle this long (seconds) is shut down.
PANLEARN_RUNNER_IDLE_SECONDS = env_int("PANLEARN_RUNNER_IDLE_SECONDS", _HostConfig.idle_seconds)
# Wall-clock limit of one cell (seconds); then interrupt, then restart after the grace period.
PANLEARN_RUNNER_CELL_TIMEOUT = env_int("PANLEARN_RUNNER_CELL_TIMEOUT", int(_HostConfig.cell_timeout))
PANLEARN_RUNNER_INTERRUPT_GRACE = env_int("PANLEARN_RUNNER_INTERRUPT_GRACE", int(_HostConfig.interrupt_grace))
# Memory (MiB) and process count allowed per kernel (cgroup).
PANLEARN_RUNNER_MEMORY_MIB = env_int("PANLEARN_RUNNER_MEMORY_MIB", _Limits.memory_mib)
PANLEARN_RUNNER_PIDS = env_int("PANLEARN_RUNNER_PIDS", _Limits.pids)
# Size (MiB) of the kernel's writable /tmp and working directory.
PANLEARN_RUNNER_TMP_MIB = env_int("PANLEARN_RUNNER_TMP_MIB", _Limits.tmp_mib)
# Output kept per cell: text bytes and image bytes; the rest is replaced by a notice.
PANLEARN_RUNNER_MAX_TEXT_BYTES = env_int("PANLEARN_RUNNER_MAX_TEXT_BYTES", _HostConfig.max_text_bytes)
PANLEARN_RUNNER_MAX_IMAGE_BYTES = env_int("PANLEARN_RUNNER_MAX_IMAGE_BYTES", _HostConfig.max_image_bytes)
# Longest code accepted in one request (bytes).
PANLEARN_RUNNER_MAX_CODE_BYTES = env_int("PANLEARN_RUNNER_MAX_CODE_BYTES", _HostConfig.max_code_bytes)
# Modules imported in pooled kernels before they are handed out.
PANLEARN_RUNNER_PRELOAD = env_str("PANLEARN_RUNNER_PRELOAD", ",".join(_HostConfig.preload))
# Grades run at once (each a forked student process and a forked tests process); the rest queue.
PANLEARN_RUNNER_GRADING_SLOTS = env_int("PANLEARN_RUNNER_GRADING_SLOTS", _HostConfig().grading_slots)
# Kernels started at once for students who found no warm one (the rest wait their turn, in order).
PANLEARN_RUNNER_START_CONCURRENCY = env_int("PANLEARN_RUNNER_START_CONCURRENCY", _HostConfig().start_concurrency)
# Live kernels forked from a sandboxed parent that imported the stack once (runner/kernel_forks.py), where the
# host has cgroups; off: each kernel starts a sandbox of its own (four times the CPU a start).
PANLEARN_RUNNER_FORK_KERNELS = env_bool("PANLEARN_RUNNER_FORK_KERNELS", _HostConfig.fork_kernels)
# cgroup directory name under each controller (v1) or under the unified tree (v2).
PANLEARN_RUNNER_CGROUP_NAME = env_str("PANLEARN_RUNNER_CGROUP_NAME", _HostConfig.cgroup_name)
# PANLEARN_RUNNER_SANDBOX_UID (default 1879113728, no user's): the host uid sandboxes run as when the host runs as
# root. runner/sandbox.py reads it from the environment: benches start sandboxes without Django.
# Runs kernels even when a protection (seccomp, cgroups, user namespaces) is missing. Never in production.
PANLEARN_RUNNER_INSECURE_ALLOW_MISSING_PROTECTIONS = env_bool(
    "PANLEARN_RUNNER_INSECURE_ALLOW_MISSING_PROTECTIONS", False
)
# Directory holding one sub-directory per dataset id (mounted read-only at /data/<id>).
PANLEARN_RUNNER_DATASETS_DIR = env_str("PANLEARN_RUNNER_DATASETS_DIR", str(_HostConfig.datasets_dir))
# Which backend runs code: "host" (our sandboxed kernel host) or "gateway" (a Jupyter Kernel Gateway).
PANLEARN_RUNNER_BACKEND = env_str("PANLEARN_RUNNER_BACKEND", "host")
# The Kernel Gateway's base URL (with its --KernelGatewayApp.base_url, if any) and its auth token (KG_AUTH_TOKEN).
PANLEARN_RUNNER_GATEWAY_URL = env_str("PANLEARN_RUNNER_GATEWAY_URL", "http://127.0.0.1:8888")
PANLEARN_RUNNER_GATEWAY_TOKEN = env_str("PANLEARN_RUNNER_GATEWAY_TOKEN", "")
# The gateway's kernelspec that runs students' Python (Kubernetes: python_panlearn, deploy/kubernetes/).
PANLEARN_RUNNER_GATEWAY_KERNEL = env_str("PANLEARN_RUNNER_GATEWAY_KERNEL", "python3")
