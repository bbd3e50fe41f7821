"""train_ssl.py (spec/training.md §11): contrastive pairs of every video below ROOT/DATASET, the same engine as
supervised training (AMP, clipping, schedules, checkpoints, resume, logs, DDP)."""
from pathlib import Path

from yacs.config import CfgNode

from ..data.dataset_folders import unlabelled_set
from ..data.loaders import make_loader
from ..data.online import online_unlabelled
from ..train import checkpoint, optim
from ..train.loop import Session, fit, resume
from ..train.runs import prepare_output, wrap
from ..train.runtime import setup
from ..train.supervised import clip_spec, curriculum_steps
from ..transform.contrastive import ContrastiveTransform
from ..transform.inner import TrainCrop
from .build import ssl_model, ssl_loss


def train(cfg: CfgNode) -> None:
    rt = setup(cfg)
    folder = Path(cfg.DATA.ROOT) / cfg.DATA.DATASET
    crop = TrainCrop(cfg.DATA.IMG_SIZE, cfg.AUG.MIN_SCALE, cfg.AUG.INTERP)
    if cfg.DATA.SOURCE == "fractal":
        folder = Path("rendered fractals")
        pairs = online_unlabelled(cfg, clip_spec(cfg), crop)
    else:
        pairs = unlabelled_set(folder, cfg.DATA.EXTENSION, clip_spec(cfg), crop, workers=cfg.DATA.TORCH_N_WORKERS or None)
    global_batch = cfg.DATA.BATCH_SIZE * rt.world
    if len(pairs) < global_batch:
        raise ValueError(f"{folder} has {len(pairs)} videos, fewer than one batch ({global_batch}); lower DATA.BATCH_SIZE")
    if cfg.TRAIN.SSL_SCHEME == "moco" and cfg.MOCO.K % global_batch:
        raise ValueError(f"MOCO.K ({cfg.MOCO.K}) must be a multiple of the batch size ({global_batch} = DATA.BATCH_SIZE "
                         f"x {rt.world} processes)")
    batches = make_loader(pairs, cfg.DATA.BATCH_SIZE, cfg.DATA.TORCH_N_WORKERS, shuffle=True, drop_last=True,
                          seed=cfg.SEED, rank=rt.rank, world=rt.world)
    resume_state = checkpoint.load(cfg.MODEL.RESUME) if cfg.MODEL.RESUME else None
    logger = prepare_output(cfg, rt)  # only once the data and the checkpoint are known to be usable
    logger.info(f"{len(pairs)} videos under {folder}, {pairs.short_videos()} shorter than one clip")
    cfg.defrost()
    cfg.STEPS_PER_EPOCH = len(batches)
    cfg.freeze()
    n_steps = curriculum_steps(cfg, len(batches))
    transform = ContrastiveTransform(cfg.AUG, cfg.DATA.IMG_SIZE, n_steps)
    model = ssl_model(cfg, max(1, cfg.TRAIN.EPOCHS * len(batches)))
    logger.info(f"{cfg.TRAIN.SSL_SCHEME} on TSM-{cfg.MODEL.TSM_BASE}: "
                f"{sum(p.numel() for p in model.parameters() if p.requires_grad):,} trainable parameters")
    model = wrap(model, cfg, rt)
    optimizer = optim.build_optimizer(cfg, model)
    scheduler = optim.build_scheduler(cfg, optimizer, len(batches))
    session = Session(cfg, rt, model, optimizer, scheduler, rt.scaler(), logger)
    if resume_state is not None:
        resume(session, resume_state, cfg.MODEL.RESUME)
    scheme = cfg.TRAIN.SSL_SCHEME

    def step_fn(batch, step):
        clips, ids = batch[0].to(rt.device, non_blocking=True), batch[1].to(rt.device)
        q, k = transform(clips, step)
        with rt.autocast():
            outputs, targets = model(q, k, ids, step)
        loss, hits = ssl_loss(scheme, outputs, targets)
        return loss, len(ids), hits

    fit(session, batches, step_fn)
