"""Building TSM from a configuration, and initialising it from Kinetics or supervised checkpoints
(spec/training.md §4.2, §10)."""
from logging import Logger

import torch
from yacs.config import CfgNode

from ..train import checkpoint
from .tsm import KINETICS_CLASSES, TSM

DP_PREFIX = "module."


def build_tsm(cfg: CfgNode, n_classes: int, mlp_head: bool = False) -> TSM:
    return TSM(n_classes, cfg.DATA.CLIP_LENGTH, cfg.MODEL.TSM_BASE, mlp_head)


def load_kinetics(model: TSM, path: str, logger: Logger) -> None:
    """Load the official TSM Kinetics checkpoint (``state_dict`` with ``module.``-prefixed keys) non-strictly."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise checkpoint.CheckpointError(f"MODEL.KINETICS {path} cannot be read ({type(e).__name__})") from None
    if not isinstance(state, dict) or "state_dict" not in state:
        raise checkpoint.CheckpointError(f"MODEL.KINETICS {path} has no 'state_dict'; expected the official TSM "
                                         "Kinetics checkpoint")
    weights = {k.removeprefix(DP_PREFIX): v for k, v in state["state_dict"].items()}
    result = model.load_state_dict(weights, strict=False)
    backbone = [k for k, _ in model.named_parameters() if k.startswith("base_model.")]
    if set(backbone) <= set(result.missing_keys):
        raise checkpoint.CheckpointError(f"MODEL.KINETICS {path} matches no backbone weight of TSM-"
                                         f"{type(model.base_model).__name__}; is it a TSM ResNet-50 checkpoint?")
    logger.info(f"Kinetics weights from {path}: missing {result.missing_keys}, unexpected {result.unexpected_keys}")


def _from_ssl(cfg: CfgNode, n_classes: int, logger: Logger) -> TSM:
    """Rebuild the stored SSL model (its scheme and head sizes), load it, keep its encoder with a new head."""
    from ..ssl.build import fine_tuning_encoder, ssl_model
    state = checkpoint.load(cfg.TRAIN.INIT_SSL)
    stored = checkpoint.stored_config(state)
    if stored.TRAIN.MODE != "contrastive":
        raise checkpoint.CheckpointError(f"TRAIN.INIT_SSL {cfg.TRAIN.INIT_SSL} was written by train_sup.py; "
                                         "use TRAIN.INIT_SUP for it")
    model = ssl_model(stored, 1, cfg.MODEL.TSM_BASE, cfg.DATA.CLIP_LENGTH)
    try:
        result = model.load_state_dict(state["model"], strict=False)
    except RuntimeError as e:
        raise checkpoint.CheckpointError(f"TRAIN.INIT_SSL {cfg.TRAIN.INIT_SSL} does not fit MODEL.TSM_BASE "
                                         f"{cfg.MODEL.TSM_BASE} ({str(e).splitlines()[1].strip()[:120]})") from None
    logger.info(f"initialised from {stored.TRAIN.SSL_SCHEME} checkpoint {cfg.TRAIN.INIT_SSL}: {result}")
    return fine_tuning_encoder(model, n_classes)


def supervised_model(cfg: CfgNode, n_classes: int, logger: Logger) -> TSM:
    """From TRAIN.INIT_SUP or TRAIN.INIT_SSL, else from scratch (with MODEL.KINETICS weights when given); the
    classifier is a new Linear(feature_dim, n_classes)."""
    if cfg.TRAIN.INIT_SSL:
        return _from_ssl(cfg, n_classes, logger)
    if cfg.TRAIN.INIT_SUP:
        state = checkpoint.load(cfg.TRAIN.INIT_SUP)
        stored = checkpoint.stored_config(state)
        if stored.MODEL.TSM_BASE != cfg.MODEL.TSM_BASE:
            raise checkpoint.CheckpointError(f"TRAIN.INIT_SUP {cfg.TRAIN.INIT_SUP} holds a TSM-{stored.MODEL.TSM_BASE}; "
                                             f"set MODEL.TSM_BASE {stored.MODEL.TSM_BASE}")
        model = TSM(stored.MODEL.N_CLASSES, cfg.DATA.CLIP_LENGTH, cfg.MODEL.TSM_BASE)
        result = model.load_state_dict(state["model"], strict=False)
        logger.info(f"initialised from supervised checkpoint {cfg.TRAIN.INIT_SUP}: {result}")
    else:
        model = build_tsm(cfg, KINETICS_CLASSES)
        if cfg.MODEL.KINETICS:
            load_kinetics(model, cfg.MODEL.KINETICS, logger)
    model.replace_head(n_classes)
    for p in model.parameters():
        p.requires_grad_(True)
    return model
