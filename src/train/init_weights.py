"""Where a model's first weights come from: scratch, Kinetics (MODEL.KINETICS), a supervised checkpoint
(TRAIN.INIT_SUP) or a self-supervised one (TRAIN.INIT_SSL). Every file is read and checked before the run
writes anything; fine-tuning replaces only the classifier, and says so."""
from typing import Callable

import torch
from torch import nn
from yacs.config import CfgNode

from ..models.mobilenet_layout import from_authors_layout, is_authors_layout
from ..models.registry import build_model, describe
from ..models.tsm import KINETICS_CLASSES
from ..models.video3d import KINETICS_PREFIX, TorchvisionVideo
from ..models.x3d import X3D
from ..ssl.build import fine_tuning_encoder
from ..ssl.byol import BYOL
from ..ssl.moco import MoCo
from ..ssl.simclr import SimCLR
from . import checkpoint, original_checkpoint
from .checkpoint import CheckpointError


def backbone(cfg: CfgNode, n_classes: int, mlp_head: bool = False) -> nn.Module:
    """A randomly initialised MODEL.ARCH for this configuration."""
    return build_model(cfg.MODEL.ARCH, n_classes, cfg.DATA.CLIP_LENGTH, base=cfg.MODEL.TSM_BASE, mlp_head=mlp_head,
                       dropout=cfg.MODEL.DROPOUT, x3d_size=cfg.MODEL.X3D_SIZE)


def variant(cfg: CfgNode) -> str:
    """The configured model's variant: TSM base, X3D size, or '' for a torchvision model."""
    return {"tsm": cfg.MODEL.TSM_BASE, "x3d": cfg.MODEL.X3D_SIZE}.get(cfg.MODEL.ARCH, "")


# make_encoder(output dimension, MLP projection head?) -> a backbone from the model registry
EncoderFactory = Callable[[int, bool], nn.Module]


def encoder_factory(cfg: CfgNode) -> EncoderFactory:
    return lambda dim, mlp: backbone(cfg, dim, mlp)


def ssl_model(cfg: CfgNode, make_encoder: EncoderFactory, total_steps: int) -> nn.Module:
    """MoCo, BYOL or SimCLR (``cfg.TRAIN.SSL_SCHEME``, head sizes from its section) around ``make_encoder``."""
    scheme = cfg.TRAIN.SSL_SCHEME
    if scheme == "moco":
        m = cfg.MOCO
        return MoCo(make_encoder(m.DIM, m.MLP_HEAD), m.DIM, m.K, m.M, m.T)
    if scheme == "byol":
        b = cfg.BYOL
        return BYOL(make_encoder(b.D_OUTPUT, True), b.D_OUTPUT, b.D_HIDDEN, b.EMA_WEIGHT, total_steps)
    if scheme == "simclr":
        s = cfg.SIMCLR
        return SimCLR(make_encoder(s.DIM, s.MLP_HEAD), s.T)
    raise ValueError(f"unknown TRAIN.SSL_SCHEME {scheme!r}; choose moco, byol or simclr")


def _read_kinetics(path: str, expected: str):
    """The contents of a MODEL.KINETICS file, read as plain tensors; CheckpointError naming what was expected."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(f"MODEL.KINETICS {path} cannot be read ({type(e).__name__}); give {expected}") from None


def load_kinetics(model: nn.Module, path: str) -> str:
    """Kinetics-400 weights: the official TSM checkpoint (``state_dict`` with ``module.``-prefixed keys; the
    MobileNetV2 one in its authors' layer names), or a torchvision video model's ``state_dict``. Every backbone
    weight must load; the classifier is dropped."""
    if isinstance(model, TorchvisionVideo):
        return _load_state_dict_kinetics(model, path, model.name, KINETICS_PREFIX,
                                         KINETICS_PREFIX + model.head_path + ".")
    if isinstance(model, X3D):
        return _load_state_dict_kinetics(model, path, "X3D", "", f"blocks.{len(model.blocks) - 1}.proj.")
    state = _read_kinetics(path, "the official TSM Kinetics checkpoint")
    if not isinstance(state, dict) or not isinstance(state.get("state_dict"), dict):
        raise CheckpointError(f"MODEL.KINETICS {path} has no 'state_dict'; expected the official TSM "
                              "Kinetics checkpoint")
    weights = checkpoint.strip_wrappers(state["state_dict"])
    if is_authors_layout(weights):
        weights = from_authors_layout(weights, list(model.state_dict()))
    result = model.load_state_dict(weights, strict=False)
    backbone_keys = [k for k in model.state_dict()  # BatchNorm fills a missing counter without a word
                     if k.startswith("base_model.") and not k.endswith("num_batches_tracked")]
    missing = [k for k in backbone_keys if k in result.missing_keys]
    if set(backbone_keys) <= set(result.missing_keys):
        raise CheckpointError(f"MODEL.KINETICS {path} matches no backbone weight of TSM-"
                              f"{type(model.base_model).__name__}; is it a TSM ResNet-50 checkpoint?")
    if missing:
        raise CheckpointError(f"MODEL.KINETICS {path} lacks {len(missing)} backbone weights ({', '.join(missing[:3])})"
                              "; is it a TSM checkpoint of MODEL.TSM_BASE?")
    return f"Kinetics weights from {path}: every backbone weight loaded, unexpected {result.unexpected_keys}"


def _load_state_dict_kinetics(model: nn.Module, path: str, name: str, prefix: str, head: str) -> str:
    """A torchvision ``state_dict`` (keys under ``prefix`` here) or a pytorchvideo model-zoo file (weights under
    'model_state'): every weight but the classifier (keys starting with ``head``) must load."""
    state = _read_kinetics(path, f"the Kinetics-400 weights of {name}")
    for key in ("model_state", "state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"MODEL.KINETICS {path} is not a state_dict; expected the Kinetics-400 weights of "
                              f"{name}")
    weights = {prefix + k: v for k, v in checkpoint.strip_wrappers(state).items()}
    weights = {k: v for k, v in weights.items() if not k.startswith(head)}
    own = {k: v for k, v in model.state_dict().items() if not k.startswith(head)}
    missing = [k for k in own if k not in weights]
    shapes = [k for k in own if k in weights and weights[k].shape != own[k].shape]
    if missing or shapes:
        bad = missing or shapes
        raise CheckpointError(f"MODEL.KINETICS {path} does not fit {name}: {len(bad)} backbone weights "
                              f"{'missing' if missing else 'of another shape'} ({', '.join(bad[:3])})")
    model.load_state_dict({**{k: weights[k] for k in own}, **{k: v for k, v in model.state_dict().items()
                                                             if k.startswith(head)}})
    return f"Kinetics weights of {name} from {path}: every backbone weight loaded, classifier new"


def _from_ssl(cfg: CfgNode, n_classes: int) -> tuple[nn.Module, str]:
    """Rebuild the stored SSL model (its scheme and head sizes), load it strictly, keep its encoder."""
    path = cfg.TRAIN.INIT_SSL
    state = checkpoint.load(path, "TRAIN.INIT_SSL")
    stored, meta = checkpoint.stored_config(state), checkpoint.meta_of(state)
    if meta["task"] != "contrastive":
        raise CheckpointError(f"TRAIN.INIT_SSL {path} was written by train_sup.py; use TRAIN.INIT_SUP for it")
    check_architecture(meta, cfg, f"TRAIN.INIT_SSL {path}")
    if state.get("origin") == "original":  # it holds the online encoder alone
        return _from_original(cfg, state, path, "TRAIN.INIT_SSL", n_classes)
    model = ssl_model(stored_ssl(cfg, stored), encoder_factory(cfg), 1)
    checkpoint.load_weights(model, state["model"], f"TRAIN.INIT_SSL {path}")
    return fine_tuning_encoder(model, n_classes), \
        f"initialised from {stored.TRAIN.SSL_SCHEME} checkpoint {path}: encoder loaded, classifier new ({n_classes} classes)"


def _from_original(cfg: CfgNode, state: dict, path: str, key: str, n_classes: int) -> tuple[nn.Module, str]:
    """The encoder of an original project's checkpoint (original_checkpoint.py), loaded strictly, with a new
    Linear(feature_dim, n_classes) classifier."""
    model = backbone(cfg, state["n_classes"], state["mlp_head"])
    checkpoint.load_weights(model, state["model"], f"{key} {path}")
    model.replace_head(n_classes)
    for p in model.parameters():
        p.requires_grad_(True)
    return model, (f"initialised from {original_checkpoint.summary(state)} {path}: all {len(state['model'])} "
                   f"weights of its encoder loaded, classifier new ({n_classes} classes)")


def stored_ssl(cfg: CfgNode, stored: CfgNode) -> CfgNode:
    """This run's configuration with the scheme and projection sizes of a stored SSL run."""
    out = cfg.clone()
    out.defrost()
    out.TRAIN.SSL_SCHEME = stored.TRAIN.SSL_SCHEME.lower()
    for section in ("MOCO", "BYOL", "SIMCLR"):
        for key, value in stored.get(section, {}).items():
            if key in out[section]:
                out[section][key] = value
    return out


def check_architecture(meta: dict, cfg: CfgNode, what: str) -> None:
    """The checkpoint holds the configured MODEL.ARCH (and, for TSM, MODEL.TSM_BASE); else a one-line error."""
    key = {"tsm": "MODEL.TSM_BASE", "x3d": "MODEL.X3D_SIZE"}.get(meta["arch"])
    if meta["arch"] != cfg.MODEL.ARCH:
        fix = f"MODEL.ARCH {meta['arch']}" + (f" {key} {meta['base']}" if key else "")
        raise CheckpointError(f"{what} holds a {describe(meta['arch'], meta['base'])}; set {fix}")
    if key and meta["base"] != variant(cfg):
        raise CheckpointError(f"{what} holds a {describe(meta['arch'], meta['base'])}; set {key} {meta['base']}")


def supervised_model(cfg: CfgNode, n_classes: int) -> tuple[nn.Module, str]:
    """From TRAIN.INIT_SUP or TRAIN.INIT_SSL, else from scratch (with MODEL.KINETICS weights when given); the
    classifier is a new Linear(feature_dim, n_classes). Returns the model and a line for the log."""
    if cfg.TRAIN.INIT_SSL:
        return _from_ssl(cfg, n_classes)
    if cfg.TRAIN.INIT_SUP:
        path = cfg.TRAIN.INIT_SUP
        state = checkpoint.load(path, "TRAIN.INIT_SUP")
        meta = checkpoint.meta_of(state)
        if meta["task"] != "supervised":
            raise CheckpointError(f"TRAIN.INIT_SUP {path} was written by train_ssl.py; use TRAIN.INIT_SSL for it")
        check_architecture(meta, cfg, f"TRAIN.INIT_SUP {path}")
        if state.get("origin") == "original":
            return _from_original(cfg, state, path, "TRAIN.INIT_SUP", n_classes)
        model = backbone(cfg, meta["n_classes"])
        checkpoint.load_weights(model, state["model"], f"TRAIN.INIT_SUP {path}")
        note = f"initialised from supervised checkpoint {path}: backbone loaded, classifier new ({n_classes} classes)"
    else:
        model = backbone(cfg, KINETICS_CLASSES)
        note = load_kinetics(model, cfg.MODEL.KINETICS) if cfg.MODEL.KINETICS else "initialised from scratch"
    model.replace_head(n_classes)
    for p in model.parameters():
        p.requires_grad_(True)
    return model, note
