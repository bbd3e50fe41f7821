"""The CPU thread budget of a run, decided in one place.

Loader and generator workers run single-threaded (torch, OpenCV; the numba kernels are serial). On the CPU the
main process uses every core this process may run on: its affinity (a SLURM or container allocation), where
torch would count the machine's cores; leaving the workers' cores out is slower, since the workers wait most of
the time. On CUDA the main process only feeds the GPU and keeps a small pool. ``OMP_NUM_THREADS``, when set, wins.

The training scripts also make the main process's idle OpenMP threads sleep instead of spinning
(``OMP_WAIT_POLICY=PASSIVE``): a spinning thread holds a core that a busy loader worker or another job needs.
The README's Threads section has the timings.
"""
import os
import sys
from collections.abc import MutableMapping

CUDA_MAIN_THREADS = 4


def openmp_waits_passively(env: MutableMapping[str, str] = os.environ) -> None:
    """Make idle OpenMP threads sleep rather than spin, in this process (``env``: a child's environment instead);
    effective only before torch is imported (the OpenMP runtime reads the variable when it loads). A user's
    ``OMP_WAIT_POLICY`` wins."""
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. a SLURM or container allocation)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def loader_workers(setting: int) -> int:
    """DATA.TORCH_N_WORKERS: -1 (the default) is one loader worker per usable core."""
    return usable_cores() if setting < 0 else setting


def main_threads(workers: int, device_type: str, cores: int | None = None) -> int:
    cores = cores or usable_cores()
    if device_type == "cuda":
        return max(1, min(CUDA_MAIN_THREADS, cores - workers))
    return cores


def apply_main_budget(workers: int, device_type: str) -> str:
    """Set the main process's intra-op threads; returns the one-line decision for the log."""
    import torch
    cores = usable_cores()
    if os.environ.get("OMP_NUM_THREADS"):
        line = (f"threads: OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} is set, so the main process keeps "
                f"{torch.get_num_threads()} (of {cores} usable cores); {workers} single-threaded loader workers")
    else:
        n = main_threads(workers, device_type, cores)
        torch.set_num_threads(n)
        line = f"threads: {cores} usable cores, {workers} single-threaded loader workers, main process {n}"
    return line + wait_policy()


def wait_policy() -> str:
    """The OpenMP wait policy for the log line ("" when the runtime's default applies)."""
    policy = os.environ.get("OMP_WAIT_POLICY")
    if not policy:
        return ""
    return f"; idle OpenMP threads {'sleep' if policy.upper() == 'PASSIVE' else 'spin'} (OMP_WAIT_POLICY={policy})"


def before_workers() -> None:
    """Call in the parent before starting worker processes: OpenCV's thread pool cannot be resized inside a
    forked child once the parent has used it (the call deadlocks), so forked workers inherit one thread from here.
    The parent itself only reads frames in its workers, so it loses nothing."""
    if "cv2" in sys.modules:
        sys.modules["cv2"].setNumThreads(1)


def single_threaded_worker(*_) -> None:
    """Initializer of loader and generator worker processes: one thread for torch and OpenCV."""
    import torch
    torch.set_num_threads(1)
    if "cv2" not in sys.modules:  # a spawned worker (a forked one inherits the setting of ``before_workers``)
        import cv2
        cv2.setNumThreads(1)
