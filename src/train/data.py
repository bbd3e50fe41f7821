"""What the tasks and the probes build from the configuration's DATA section: clip rules, the labelled datasets
(files or rendered clips of a family), validation batches, where rendered clips are drawn."""
from pathlib import Path

import torch
from yacs.config import CfgNode

from ..data.dataset_folders import labelled_sets
from ..data.datasets import ClipSpec, TrainClips, ValidationClips
from ..data.device_render import RenderedBatches, rendered_batches
from ..data.families import SOURCES, classes_for, settings_for
from ..data.fractal_source import FractalSource
from ..data.loaders import Batches, make_loader
from ..transform.crops import TrainCrop, ValResizeCrop
from ..utils.threads import loader_workers
from .runtime import Runtime


def render_settings(cfg: CfgNode):
    """How DATA.SOURCE renders for DATA.IMG_SIZE crops: at DATA.RENDER_RES; fractals with DATA.RENDER_SPLATS,
    DATA.RENDER_VAR and DATA.LINEAR_MOTION."""
    d = cfg.DATA
    return settings_for(d.SOURCE, d.IMG_SIZE, d.RENDER_RES, d.RENDER_SPLATS, tuple(d.RENDER_VAR), d.LINEAR_MOTION)


def device_batches(cfg: CfgNode, source: FractalSource, device: torch.device, rank: int = 0, world: int = 1,
                   views: int = 1) -> RenderedBatches:
    """Training batches of ``source`` rendered on ``device`` by the chaos-game kernel (DATA.RENDER_DEVICE)."""
    return rendered_batches(source, clip_spec(cfg), cfg.DATA.IMG_SIZE, cfg.AUG.MIN_SCALE, cfg.DATA.BATCH_SIZE,
                            loader_workers(cfg.DATA.TORCH_N_WORKERS), cfg.SEED, cfg.DATA.RENDER_SPLATS, device,
                            rank, world, views)


def clip_spec(cfg: CfgNode) -> ClipSpec:
    d = cfg.DATA
    return ClipSpec(d.CLIP_LENGTH, d.STRIDE, d.VAL_MIN_STEPS, d.VAL_MAX_SEGS)


def labelled_datasets(cfg: CfgNode) -> tuple[TrainClips, ValidationClips, dict[str, int], str]:
    """Training and validation clips (files under ROOT/DATASET, or rendered by DATA.SOURCE), the class
    dictionary and where they come from."""
    train_tf = TrainCrop(cfg.DATA.IMG_SIZE, cfg.AUG.MIN_SCALE, cfg.AUG.INTERP)
    val_tf = ValResizeCrop(cfg.DATA.IMG_SIZE, cfg.AUG.CROP_VAL, cfg.AUG.INTERP)
    spec = clip_spec(cfg)
    if cfg.DATA.SOURCE != "files":
        classes, names, where = classes_for(cfg.DATA.SOURCE, cfg.DATA.CLASS_PARAMS, labelled=True)
        settings, source = render_settings(cfg), SOURCES[cfg.DATA.SOURCE]
        train = TrainClips(source(cfg.DATA.SAMPLES_PER_EPOCH, settings, classes, cfg.SEED,
                                  instances=cfg.DATA.INSTANCES), spec, train_tf)
        val = ValidationClips(source(cfg.DATA.VAL_SAMPLES, settings, classes, cfg.SEED, fixed=True), spec, val_tf)
        return train, val, names, f"{where}, rendered at {settings.res} px"
    folder = Path(cfg.DATA.ROOT) / cfg.DATA.DATASET
    train, val, names = labelled_sets(folder, cfg.DATA.EXTENSION, spec, train_tf, val_tf,
                                      workers=loader_workers(cfg.DATA.TORCH_N_WORKERS) or None)
    return train, val, names, str(folder)


def render_device(cfg: CfgNode, rt: Runtime) -> torch.device:
    """Where DATA.RENDER_DEVICE cuda / triton-cpu renders: the training GPU, or the CPU."""
    return rt.device if cfg.DATA.RENDER_DEVICE == "cuda" else torch.device("cpu")


def validation_batches(cfg: CfgNode, val: ValidationClips) -> Batches:
    return make_loader(val, cfg.DATA.BATCH_SIZE_VAL, min(loader_workers(cfg.DATA.TORCH_N_WORKERS), 2),
                       shuffle=False, concatenate=True)


def class_names(classes: dict[str, int]) -> list[str]:
    """Names in label order."""
    return sorted(classes, key=classes.get)
