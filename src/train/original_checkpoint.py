"""Checkpoints written by the original fractal pre-training project: ``torch.save`` of ``{'model': state_dict,
'optimizer', 'lr_scheduler', 'epoch', 'config': <yacs CfgNode>, ['scaler']}``. They are read by PyTorch's
weights-only unpickler with one more name allowed, the yacs ``CfgNode``, which comes back as a plain
``OrderedDict`` (its class is never imported or called), and turned into this project's checkpoint layout."""
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

import torch
from yacs.config import CfgNode

from ..models.mobilenet_layout import from_authors_layout, is_authors_layout
from ..models.registry import build_model, describe

# the original's defaults where its stored configuration lacks a key
DEFAULTS = {"ARCH": "tsm", "TSM_BASE": "resnet50", "X3D_SIZE": "L"}
# an SSL model's online encoder in the original's state dicts, by scheme
ENCODERS = {"moco": "encoder_q.", "byol": "online_encoder.", "simclr": "encoder."}
HEADS = {"tsm": "new_fc", "x3d": "proj"}  # the classifier's name in each architecture


class _CfgNodeAsMapping:
    """Stands in for ``yacs.config.CfgNode`` while unpickling: a node becomes an OrderedDict of its keys (the
    weights-only unpickler fills only dict and OrderedDict); its flags land in that dict's ``__dict__``."""

    def __new__(cls, *args):
        return OrderedDict()


def torch_load(path: str | Path):
    """``torch.load(weights_only=True)`` that also reads the original's pickled configuration as data."""
    with torch.serialization.safe_globals([(_CfgNodeAsMapping, "yacs.config.CfgNode")]):
        return torch.load(path, map_location="cpu", weights_only=True)


def is_original(state) -> bool:
    """A checkpoint of the original project: its configuration is a pickled mapping, ours is YAML text."""
    return isinstance(state, dict) and isinstance(state.get("config"), Mapping) \
        and isinstance(state.get("model"), Mapping)


def _setting(config: Mapping, section: str, key: str, kind: type, default=None):
    """``config[section][key]`` if it is a ``kind`` (bool is not an int), else ``default``: only these few scalars
    are read, never the whole pickled tree (which may share and nest nodes without end)."""
    node = config.get(section) if isinstance(config, Mapping) else None
    value = node.get(key) if isinstance(node, Mapping) else None
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    return default


def _head(weights: dict, arch: str) -> tuple[bool, int]:
    """(MLP head?, output size) of the classifier among ``weights``."""
    name = HEADS.get(arch, "new_fc")
    linear = [k for k in weights if k.endswith(f"{name}.weight")]
    mlp = [k for k in weights if k.endswith(f"{name}.2.weight")]
    found = [(False, k) for k in linear] or [(True, k) for k in mlp]
    if not found:
        raise ValueError(f"no classifier ({name}.weight) among its weights")
    is_mlp, key = found[-1]
    if weights[key].dim() != 2:
        raise ValueError(f"its classifier {key} is not a matrix (shape {tuple(weights[key].shape)})")
    return is_mlp, int(weights[key].shape[0])


def _scheme(weights: dict) -> str | None:
    """The SSL scheme whose model wrote ``weights``, or None for a supervised model."""
    if any(k.startswith("encoder_q.") for k in weights):
        return "moco"
    if any(k.startswith("online_encoder.") for k in weights):
        return "byol"
    if weights and all(k.startswith("encoder.") for k in weights):
        return "simclr"
    return None


def convert(state: dict, what: str) -> dict:
    """The original's checkpoint as one of ours: the (online) encoder's weights in this project's layout, the few
    settings that describe them (as YAML), and what they are. ``state['model']`` holds plain named tensors
    (``checkpoint.weights_problem``) without DDP/compile prefixes.
    ValueError (one line, naming ``what``) if the file is not a model the original could write."""
    config = state["config"]
    arch = _setting(config, "MODEL", "ARCH", str, DEFAULTS["ARCH"]).lower()
    base = {"tsm": _setting(config, "MODEL", "TSM_BASE", str, DEFAULTS["TSM_BASE"]),
            "x3d": _setting(config, "MODEL", "X3D_SIZE", str, DEFAULTS["X3D_SIZE"])}.get(arch, "")
    weights = dict(state["model"])
    scheme = _scheme(weights)
    if scheme:
        prefix = ENCODERS[scheme]
        weights = {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
    try:
        mlp, n_out = _head(weights, arch)
    except ValueError as e:
        raise ValueError(f"{what} is a checkpoint of the original project but {e}") from None
    if arch == "tsm" and base == "mobilenetv2" and is_authors_layout(weights):
        with torch.device("meta"):  # only the names are needed
            own = build_model("tsm", n_out, 1, base=base, mlp_head=mlp).state_dict()
        weights = from_authors_layout(weights, list(own))
    epoch = state.get("epoch")
    stored = {"MODEL": {"ARCH": arch, **({"TSM_BASE": base} if arch == "tsm" else {}),
                        **({"X3D_SIZE": base} if arch == "x3d" else {})},
              "TRAIN": {"MODE": "contrastive" if scheme else "supervised", **({"SSL_SCHEME": scheme} if scheme else {})}}
    return {"model": weights, "epoch": epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else -1,
            "config": CfgNode(stored).dump(), "task": "contrastive" if scheme else "supervised", "arch": arch,
            "base": base, "n_classes": n_out, "classes": [], "origin": "original", "mlp_head": mlp, "scheme": scheme,
            "clip_length": _setting(config, "DATA", "CLIP_LENGTH", int),
            "img_size": _setting(config, "DATA", "IMG_SIZE", int)}


def summary(state: dict) -> str:
    """'the original project's supervised TSM-ResNet-50 checkpoint (101 classes, epoch 99, 8-frame clips at 112
    px)' for the log."""
    kind = state["scheme"] or state["task"]
    clips = f", {state['clip_length']}-frame clips at {state['img_size']} px" if state.get("clip_length") else ""
    outputs = "classes" if state["task"] == "supervised" else "outputs"
    return (f"the original project's {kind} {describe(state['arch'], state['base'])} checkpoint "
            f"({state['n_classes']} {outputs}, epoch {state['epoch']}{clips})")
