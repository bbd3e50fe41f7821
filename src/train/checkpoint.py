"""Checkpoints of plain tensors and the configuration as YAML text, so ``torch.load(weights_only=True)`` reads
them: no object is ever unpickled (the original project's files are read as data too: original_checkpoint.py).
Weights are loaded strictly: a checkpoint that does not fit the model is a one-line error naming the keys."""
import errno
import os
import re
import shutil
import warnings
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from yacs.config import CfgNode

from ..utils import owned_files
from ..utils.atomic import atomic_link, atomic_path, remove_stale_temps
from . import original_checkpoint

PATTERN = "ckpt_epoch_*.pth"
EPOCH_NAME = re.compile(r"ckpt_epoch_(\d+)\.pth")  # exactly the names save() writes
LAST = "ckpt_last.pth"
WRAPPER_PREFIXES = ("module.", "_orig_mod.")  # DDP and torch.compile


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint."""


def unwrap(model: nn.Module) -> nn.Module:
    """The bare model under DDP and ``torch.compile`` wrappers (in any nesting)."""
    while True:
        if isinstance(model, DistributedDataParallel):
            model = model.module
        elif isinstance(model, torch._dynamo.eval_frame.OptimizedModule):
            model = model._orig_mod
        else:
            return model


def save(output: Path, epoch: int, cfg: CfgNode, model: nn.Module, meta: dict, optimizer=None, scheduler=None,
         scaler=None, keep: int | None = None) -> Path:
    """Write ``OUTPUT/ckpt_epoch_<epoch>.pth`` and ``OUTPUT/ckpt_last.pth`` atomically; keep only the ``keep``
    newest epoch checkpoints. ``meta`` says what the weights are (task, arch, classes) for loading them back."""
    state = {"model": unwrap(model).state_dict(), "epoch": epoch, "config": cfg.dump(), **meta}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if scaler is not None and scaler.is_enabled():
        state["scaler"] = scaler.state_dict()
    path = output / f"ckpt_epoch_{epoch}.pth"
    owned_files.record(output, path.name, LAST)  # before the file appears: a kill leaves nothing unowned
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        try:
            torch.save(state, f)
        except RuntimeError as e:  # torch's zip writer turns the OSError of a full disk into a RuntimeError
            full = shutil.disk_usage(output).free < (1 << 20)
            raise OSError(errno.ENOSPC if full else errno.EIO, os.strerror(errno.ENOSPC) if full else
                          f"the checkpoint could not be written ({str(e).splitlines()[0][:200]})", str(path)) from None
    atomic_link(path, output / LAST)
    if keep and keep > 0:
        mine = sorted(own_checkpoints(output), key=_epoch)
        for old in mine[:-keep]:  # only the names this toolkit wrote, oldest epochs first
            old.unlink(missing_ok=True)
            owned_files.forget(output, old.name)
    return path


def own_checkpoints(output: Path) -> list[Path]:
    """The epoch checkpoints in ``output`` that save() wrote (a user's ckpt_epoch_1_keep.pth is not one)."""
    mine = owned_files.owned(output)
    return [output / n for n in mine if EPOCH_NAME.fullmatch(n) and (output / n).is_file()]


def refuse_foreign_checkpoints(output: Path) -> None:
    """UserError if ``output`` holds a file named like a checkpoint save() would write that it did not write."""
    if not output.is_dir():
        return
    names = [p.name for p in output.iterdir() if EPOCH_NAME.fullmatch(p.name)]
    owned_files.refuse_foreign(output, names, "TRAIN.OUTPUT")


def _epoch(path: Path) -> int:
    match = EPOCH_NAME.fullmatch(path.name)
    return int(match[1]) if match else -1


def remove_partial_saves(output: Path) -> None:
    """Delete the temp files of a save that was killed (a complete checkpoint only ever appears by rename); the
    caller holds the folder's lock, so every temp there is stale."""
    if output.is_dir():
        remove_stale_temps(output, recursive=False, everyone=True)


def load(path: str | Path, what: str = "MODEL.RESUME") -> dict:
    """Read a checkpoint with ``weights_only=True`` (ours, or the original project's turned into ours);
    CheckpointError (one line) if it is neither."""
    path = Path(path)
    if path.is_file() and path.stat().st_size == 0:
        raise CheckpointError(f"{what} {path} is empty; give a checkpoint written by train_sup.py or train_ssl.py")
    try:
        with warnings.catch_warnings():  # torch warns about the pickle protocol of foreign files
            warnings.simplefilter("ignore")
            state = original_checkpoint.torch_load(path)
    except Exception as e:
        with open(path, "rb") as f:
            head = f.read(2)
        pickled = head == b"PK" or head[:1] == b"\x80"  # torch's zip format, or a bare pickle stream
        reason = "it holds objects other than tensors, which are never unpickled" if pickled \
            else "it is not a PyTorch file, or it is truncated"
        if "Unsupported operand 149" in str(e):  # FRAME: pickle protocol 4 or 5, which torch's reader refuses
            reason = ("it was pickled with protocol 4 or 5, which PyTorch's weights-only reader does not read; "
                      "save it again with torch.save's default protocol")
        raise CheckpointError(f"{what} {path} cannot be read as a checkpoint: {reason} ({type(e).__name__}); give "
                              "a checkpoint written by train_sup.py or train_ssl.py") from None
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise CheckpointError(f"{what} {path} is not a checkpoint of this project (no 'model' weights); give one "
                              "written by train_sup.py or train_ssl.py")
    problem = weights_problem(state["model"])
    if problem:
        raise CheckpointError(f"{what} {path} does not hold plain weights: {problem}; give a checkpoint written by "
                              "train_sup.py or train_ssl.py")
    state["model"] = strip_wrappers(state["model"])
    if original_checkpoint.is_original(state):
        try:
            return original_checkpoint.convert(state, f"{what} {path}")
        except ValueError as e:
            raise CheckpointError(str(e)) from None
    state.pop("origin", None)  # only the conversion above says a file is the original project's
    try:
        meta_of(state)
        int(state["epoch"])
    except Exception as e:  # a damaged or hand-made file: what describes the weights does not read
        raise CheckpointError(f"{what} {path} is not a checkpoint of this project: its configuration or description "
                              f"does not read ({type(e).__name__}); give one written by train_sup.py or "
                              "train_ssl.py") from None
    return state


def weights_problem(weights: Mapping) -> str | None:
    """Why ``weights`` are not plain weights of a model (dense tensors named by strings, whose storage holds
    them), or None."""
    for key, value in weights.items():
        if not isinstance(key, str):
            return f"a weight named {key!r}, not by a string"
        if not isinstance(value, torch.Tensor) or value.is_meta or value.is_sparse:
            return f"{key} is not a dense tensor"
        if value.untyped_storage().nbytes() < value.numel() * value.element_size():
            return f"{key} claims more elements than its storage holds"
    return None


def strip_wrappers(weights: dict) -> dict:
    """Keys without DDP/compile prefixes (checkpoints of older versions could carry them)."""
    out = {}
    for key, value in weights.items():
        while key.startswith(WRAPPER_PREFIXES):
            key = key.split(".", 1)[1]
        out[key] = value
    return out


def load_weights(model: nn.Module, weights: dict, what: str, hint: str = "") -> None:
    """Strict ``load_state_dict``: every key present, none unexpected, every shape equal; otherwise a one-line
    CheckpointError naming the first keys that differ."""
    own = model.state_dict()
    missing = [k for k in own if k not in weights]
    unexpected = [k for k in weights if k not in own]
    shapes = [k for k in own if k in weights and tuple(own[k].shape) != tuple(weights[k].shape)]
    if missing or unexpected or shapes:
        parts = []
        for name, keys in (("missing", missing), ("unexpected", unexpected), ("of another shape", shapes)):
            if keys:
                parts.append(f"{len(keys)} {name} ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''})")
        raise CheckpointError(f"{what} does not fit the model: {'; '.join(parts)}{'; ' + hint if hint else ''}")
    model.load_state_dict(weights)


def stored_config(state: dict) -> CfgNode:
    return CfgNode.load_cfg(state["config"])


def meta_of(state: dict) -> dict:
    """Task, architecture, TSM base and class count of a checkpoint (older ones keep them in their config)."""
    stored = stored_config(state)
    model = stored.get("MODEL", CfgNode())
    return {"task": state.get("task", stored.get("TRAIN", CfgNode()).get("MODE", "supervised")),
            "arch": state.get("arch", model.get("ARCH", "tsm")),
            "base": state.get("base", model.get("TSM_BASE", "resnet50")),
            "n_classes": int(state.get("n_classes", model.get("N_CLASSES", 0))),
            "classes": list(state.get("classes", []))}  # names in label order; absent in older checkpoints


def check_classes(meta: dict, names: list[str], what: str, action: str) -> None:
    """CheckpointError if the checkpoint's classifier was trained on other class names (or another order) than
    ``names``: its outputs would be read as the wrong classes."""
    stored = meta["classes"]
    if not stored or stored == names:
        return
    if len(stored) != len(names):
        raise CheckpointError(f"{what} classifies {len(stored)} classes but the data has {len(names)}; {action} on "
                              "the dataset it was trained on")
    i = next(i for i, (a, b) in enumerate(zip(stored, names)) if a != b)
    raise CheckpointError(f"{what} was trained on other classes: its class {i} is {stored[i]!r}, the data's is "
                          f"{names[i]!r}; {action} on the dataset it was trained on")
