"""What a piece of GPU code would do on a GPU, found without one: the real computation runs on the CPU, on tensors
that say they live on another device, under a dispatch mode that records every op, every host sync and every
device mismatch with the line of project code that caused it.

FakeTensorMode catches device mismatches but lets blocking copies and CPU index tensors through; here, as on a
real GPU, these count:
- a sync: reading a device value on the host (``.item()``, ``bool(t)``, ``nonzero``, boolean-mask indexing, a
  copy to the CPU; ``.tolist()`` raises outright), or a blocking upload (``.to(device)`` of a CPU tensor without
  ``non_blocking``, ``torch.tensor(..., device=device)``), which waits for the queued work;
- a mismatch: an op mixing device tensors with CPU tensors that are not 0-dim scalars (CUDA raises on most of
  these, and a CPU index tensor is a hidden blocking upload).
The tensors say they are on "meta", not "cuda": PyTorch builds a CUDA device guard for Python indexing, which
needs a driver; a meta guard needs nothing, and the code under audit treats any device alike. Autograd's
backward would need a runtime for device-tagged tensors too, so a backward pass is audited on plain CPU tensors
(``Audit(tag=False)``), where op names alone tell syncs apart.
"""
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

ROOT = Path(__file__).resolve().parents[1]
DEVICE = torch.device("meta")  # what audited tensors say they are on
aten = torch.ops.aten
SYNC_OPS = {aten._local_scalar_dense.default, aten.nonzero.default, aten.is_nonzero.default, aten.equal.default,
            aten.masked_select.default, aten._unique2.default, aten.unique_consecutive.default,
            aten.unique_dim.default, aten.repeat_interleave.Tensor}
INDEX_OPS = {aten.index.Tensor, aten.index_put.default, aten.index_put_.default}


class OnDevice(torch.Tensor):
    """A CPU tensor that says it is on ``DEVICE``."""

    @staticmethod
    def __new__(cls, elem: torch.Tensor):
        return torch.Tensor._make_wrapper_subclass(cls, elem.shape, strides=elem.stride(), dtype=elem.dtype,
                                                   device=DEVICE, requires_grad=elem.requires_grad)

    def __init__(self, elem: torch.Tensor):
        self.elem = elem

    def __repr__(self):
        return f"OnDevice({self.elem!r})"

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        raise RuntimeError(f"{func} on a device-tagged tensor outside an Audit")


def to_device(t):
    """The device-tagged twin of a CPU tensor (other values unchanged)."""
    return OnDevice(t) if isinstance(t, torch.Tensor) and not isinstance(t, OnDevice) else t


def unwrap(t):
    return t.elem if isinstance(t, OnDevice) else t


def _origin() -> str:
    """The innermost line of project code (not tests/) on the stack."""
    for frame in reversed(traceback.extract_stack()):
        path = Path(frame.filename)
        if ROOT in path.parents and path.relative_to(ROOT).parts[0] != "tests":
            return f"{path.relative_to(ROOT)}:{frame.lineno}"
    return "?"


def _on(kwargs: dict, device_type: str) -> bool:
    return "device" in kwargs and kwargs["device"] is not None and torch.device(kwargs["device"]).type == device_type


@dataclass
class Audit(TorchDispatchMode):
    tag: bool = True  # False: plain CPU tensors (a backward pass), only op names tell syncs apart
    ops: int = 0  # ops on the device (each a kernel launch on a GPU, or an upload)
    syncs: list = field(default_factory=list)
    mismatches: list = field(default_factory=list)
    launches: int = 0  # kernels launched outside torch (the chaos-game kernel), counted by the caller's hook

    def __post_init__(self):
        super().__init__()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        flat = tree_flatten((args, kwargs))[0]
        on_device = any(isinstance(t, OnDevice) for t in flat)
        plain = [t for t in flat if isinstance(t, torch.Tensor) and not isinstance(t, OnDevice) and t.dim() > 0]
        where = _origin()
        to_device_kwarg = _on(kwargs, DEVICE.type)
        self.ops += on_device or to_device_kwarg or not self.tag
        if func in SYNC_OPS and (on_device or not self.tag):
            self.syncs.append(f"{func.__name__} at {where}")
        if func in INDEX_OPS and on_device and any(isinstance(t, torch.Tensor) and t.dtype == torch.bool
                                                   for t in flat[1:]):
            self.syncs.append(f"boolean-mask indexing at {where}")
        if func is aten._to_copy.default and to_device_kwarg and not on_device:  # an upload
            if not kwargs.get("non_blocking", False):
                self.syncs.append(f"blocking upload at {where}")
        elif func is aten._to_copy.default and on_device and _on(kwargs, "cpu"):
            self.syncs.append(f"copy to the host at {where}")
            return func(*tree_map(unwrap, args), **kwargs)
        elif on_device and plain:
            self.mismatches.append(f"{func.__name__}: a CPU tensor {tuple(plain[0].shape)} with device tensors "
                                   f"at {where}")
        if to_device_kwarg:
            kwargs["device"] = torch.device("cpu")  # an upload or a factory on the device: made on the CPU
        out = func(*tree_map(unwrap, args), **tree_map(unwrap, kwargs))
        return tree_map(to_device, out) if self.tag and (on_device or to_device_kwarg) else out

    def report(self) -> str:
        return f"{self.ops} ops, {self.launches} kernel launches, {len(self.syncs)} syncs {self.syncs[:8]}, " \
               f"{len(self.mismatches)} mismatches {self.mismatches[:8]}"
