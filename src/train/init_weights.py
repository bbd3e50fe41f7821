"""Where a model's first weights come from: scratch, Kinetics (MODEL.KINETICS), a supervised checkpoint
(TRAIN.INIT_SUP) or a self-supervised one (TRAIN.INIT_SSL). Every file is read and checked before the run
writes anything; fine-tuning replaces only the classifier, and says so."""
import torch
from torch import nn
from yacs.config import CfgNode

from ..models.registry import build_model, describe
from ..models.tsm import KINETICS_CLASSES
from ..ssl.build import fine_tuning_encoder, ssl_model
from . import checkpoint
from .checkpoint import CheckpointError


def backbone(cfg: CfgNode, n_classes: int, mlp_head: bool = False) -> nn.Module:
    """A randomly initialised MODEL.ARCH for this configuration."""
    return build_model(cfg.MODEL.ARCH, n_classes, cfg.DATA.CLIP_LENGTH, base=cfg.MODEL.TSM_BASE, mlp_head=mlp_head,
                       dropout=cfg.MODEL.DROPOUT)


def encoder_factory(cfg: CfgNode):
    return lambda dim, mlp: backbone(cfg, dim, mlp)


def load_kinetics(model: nn.Module, path: str) -> str:
    """The official TSM Kinetics checkpoint (``state_dict`` with ``module.``-prefixed keys): every backbone
    weight must load; the Kinetics classifier is dropped."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(f"MODEL.KINETICS {path} cannot be read ({type(e).__name__}); give the official "
                              "TSM Kinetics checkpoint") from None
    if not isinstance(state, dict) or not isinstance(state.get("state_dict"), dict):
        raise CheckpointError(f"MODEL.KINETICS {path} has no 'state_dict'; expected the official TSM "
                              "Kinetics checkpoint")
    weights = checkpoint.strip_wrappers(state["state_dict"])
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


def _from_ssl(cfg: CfgNode, n_classes: int) -> tuple[nn.Module, str]:
    """Rebuild the stored SSL model (its scheme and head sizes), load it strictly, keep its encoder."""
    path = cfg.TRAIN.INIT_SSL
    state = checkpoint.load(path, "TRAIN.INIT_SSL")
    stored, meta = checkpoint.stored_config(state), checkpoint.meta_of(state)
    if meta["task"] != "contrastive":
        raise CheckpointError(f"TRAIN.INIT_SSL {path} was written by train_sup.py; use TRAIN.INIT_SUP for it")
    _check_base(meta, cfg, f"TRAIN.INIT_SSL {path}")
    model = ssl_model(stored_ssl(cfg, stored), encoder_factory(cfg), 1)
    checkpoint.load_weights(model, state["model"], f"TRAIN.INIT_SSL {path}")
    return fine_tuning_encoder(model, n_classes), \
        f"initialised from {stored.TRAIN.SSL_SCHEME} checkpoint {path}: encoder loaded, classifier new ({n_classes} classes)"


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


def _check_base(meta: dict, cfg: CfgNode, what: str) -> None:
    if meta["arch"] != cfg.MODEL.ARCH or (meta["arch"] == "tsm" and meta["base"] != cfg.MODEL.TSM_BASE):
        raise CheckpointError(f"{what} holds a {describe(meta['arch'], meta['base'])}; set MODEL.ARCH {meta['arch']}"
                              + (f" MODEL.TSM_BASE {meta['base']}" if meta["arch"] == "tsm" else ""))


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
        _check_base(meta, cfg, f"TRAIN.INIT_SUP {path}")
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
