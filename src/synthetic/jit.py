"""numba options shared by the compiled kernels, and the notice of a compile."""
from contextlib import contextmanager
from typing import Iterator

from numba import njit
from numba.core import event

# error_model="numpy": float division by zero gives inf/nan instead of raising, which is what lets LLVM
# vectorise the loops; no "nnan"/"ninf" flags so that non-finite points are still detected.
KERNEL = dict(cache=True, error_model="numpy", fastmath={"contract", "arcp", "nsz", "afn"})


def kernel(fn=None, **extra):
    """``numba.njit`` with the project's kernel options."""
    opts = {**KERNEL, **extra}
    return njit(**opts)(fn) if fn is not None else njit(**opts)


class _FirstCompile(event.Listener):
    def __init__(self, message: str) -> None:
        self.message, self.said = message, False

    def on_start(self, _event) -> None:
        if not self.said:
            self.said = True
            print(self.message, flush=True)

    def on_end(self, _event) -> None:
        pass


@contextmanager
def announce_compiles(message: str) -> Iterator[None]:
    """Print ``message`` once if numba starts compiling in this block: it does so only where its on-disk cache
    holds no kernel for these types, so loading the cache, however slow, says nothing."""
    with event.install_listener("numba:compile", _FirstCompile(message)):
        yield
