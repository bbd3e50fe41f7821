"""Process pools for the CPU-bound loops (generation, frame counting): single-threaded workers that leave Ctrl-C
to the main process and never outlive it."""
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from .threads import before_workers, single_threaded_worker

PARENT_POLL_S = 0.5


def _exit_when_orphaned(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != parent:  # the main process is gone (killed): nobody will collect our work
            os._exit(1)


def _start_worker(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the main process, which stops the pool
    single_threaded_worker()
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


@contextmanager
def worker_pool(workers: int):
    """A ProcessPoolExecutor of ``workers`` processes. If the block raises (Ctrl-C included), the workers are
    stopped at once: their tasks write atomically, so a stopped one leaves at most a temp file of its own."""
    before_workers()
    pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        for process in list(pool._processes.values()):  # no public way to stop running tasks before Python 3.14
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
