"""The kernel host's settings and one sandbox's limits, with their defaults: the one place they are
written. `runner.conf` reads its defaults from here (it runs at Django's start-up, so this module
imports nothing heavy); the operator's environment overrides them."""

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    memory_mib: int = 512
    pids: int = 64
    tmp_mib: int = 64
    cpu_seconds: int = 3600
    file_size_mib: int = 64
    open_files: int = 1024
    # Virtual address space: a backstop where cgroups are missing; numpy and OpenBLAS reserve
    # far more than they use, so this is a multiple of the real memory limit.
    address_space_mib: int = 8192


@dataclass(frozen=True)
class HostConfig:
    """The kernel host's settings; `from_settings` fills them from Django's."""

    pool_size: int = 2
    max_kernels: int = 40
    kernels_per_user: int = 3
    idle_seconds: int = 1800
    cell_timeout: float = 30.0
    interrupt_grace: float = 3.0
    limits: Limits = field(default_factory=Limits)
    max_text_bytes: int = 256 * 1024
    max_image_bytes: int = 4 * 1024 * 1024
    max_code_bytes: int = 256 * 1024
    preload: tuple[str, ...] = ("numpy", "scipy", "matplotlib", "pandas", "h5py")
    grading_slots: int = field(default_factory=lambda: max(2, 2 * (os.cpu_count() or 1)))
    start_concurrency: int = field(default_factory=lambda: max(2, os.cpu_count() or 1))
    fork_kernels: bool = True
    cgroup_name: str = "panlearn"
    insecure: bool = False
    datasets_dir: Path = Path("var/datasets")
    state_dir: Path = Path("var/runner")

    @classmethod
    def from_settings(cls) -> "HostConfig":
        from django.conf import settings

        return cls(
            pool_size=settings.PANLEARN_RUNNER_POOL_SIZE,
            max_kernels=settings.PANLEARN_RUNNER_MAX_KERNELS,
            kernels_per_user=settings.PANLEARN_RUNNER_KERNELS_PER_USER,
            idle_seconds=settings.PANLEARN_RUNNER_IDLE_SECONDS,
            cell_timeout=settings.PANLEARN_RUNNER_CELL_TIMEOUT,
            interrupt_grace=settings.PANLEARN_RUNNER_INTERRUPT_GRACE,
            limits=Limits(
                memory_mib=settings.PANLEARN_RUNNER_MEMORY_MIB,
                pids=settings.PANLEARN_RUNNER_PIDS,
                tmp_mib=settings.PANLEARN_RUNNER_TMP_MIB,
            ),
            max_text_bytes=settings.PANLEARN_RUNNER_MAX_TEXT_BYTES,
            max_image_bytes=settings.PANLEARN_RUNNER_MAX_IMAGE_BYTES,
            max_code_bytes=settings.PANLEARN_RUNNER_MAX_CODE_BYTES,
            preload=tuple(name for name in settings.PANLEARN_RUNNER_PRELOAD.split(",") if name.strip()),
            grading_slots=settings.PANLEARN_RUNNER_GRADING_SLOTS,
            start_concurrency=settings.PANLEARN_RUNNER_START_CONCURRENCY,
            fork_kernels=settings.PANLEARN_RUNNER_FORK_KERNELS,
            cgroup_name=settings.PANLEARN_RUNNER_CGROUP_NAME,
            insecure=settings.PANLEARN_RUNNER_INSECURE_ALLOW_MISSING_PROTECTIONS,
            datasets_dir=Path(settings.PANLEARN_RUNNER_DATASETS_DIR),
            state_dir=Path(settings.VAR_DIR) / "runner",
        )
