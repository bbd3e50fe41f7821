"""numba options shared by the compiled kernels."""
from numba import njit

# error_model="numpy": float division by zero gives inf/nan instead of raising, which is what lets LLVM
# vectorise the loops; no "nnan"/"ninf" flags so that non-finite points are still detected.
KERNEL = dict(cache=True, error_model="numpy", fastmath={"contract", "arcp", "nsz", "afn"})


def kernel(fn=None, **extra):
    """``numba.njit`` with the project's kernel options."""
    opts = {**KERNEL, **extra}
    return njit(**opts)(fn) if fn is not None else njit(**opts)
