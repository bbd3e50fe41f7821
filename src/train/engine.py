"""One trainer for both tasks: set-up → data → resume → outputs → wrap → optimiser → fit.

A task (supervised classification in ``supervised.py``, contrastive pre-training in ``contrastive.py``) supplies
its data, its model, its training step and its evaluation; everything else is here and in ``loop.py``.
Everything that can be wrong with the user's input is found before the output folder is created.
"""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from yacs.config import CfgNode

from ..data.loaders import Batches
from ..models.registry import describe, memory_format_of
from ..utils import owned_files
from ..utils.atomic import atomic_path
from . import checkpoint, optim, original_checkpoint
from .config import flat_values, merged_onto_defaults
from .init_weights import check_architecture, variant
from .logs import make_logger
from .online_probe import OnlineProbe
from .output_folder import claimed_output
from .loop import Session, StepFn, fit
from .plan import Plan, derive
from .runtime import Runtime, setup


@dataclass
class TaskData:
    train: Batches
    class_names: list[str]  # in label order; empty for contrastive pre-training
    notes: list[str] = field(default_factory=list)  # lines for the log, once it exists
    class_digest: str = ""  # rendered classes: their parameters' digest (a resume with other class files fails)


class Task(Protocol):
    name: str  # "supervised" or "contrastive": stored in checkpoints

    def data(self, cfg: CfgNode, rt: Runtime) -> TaskData: ...

    def model(self, cfg: CfgNode, plan: Plan) -> tuple[nn.Module, str]: ...

    def step(self, model: nn.Module, cfg: CfgNode, plan: Plan, rt: Runtime) -> StepFn: ...

    def evaluator(self, model: nn.Module, rt: Runtime) -> Callable[[], dict] | None: ...

    def encoder(self, model: nn.Module) -> nn.Module: ...  # the bare backbone the online probe encodes with


# the files each kind of run writes in TRAIN.OUTPUT under names it chooses (checkpoints: checkpoint.py)
RUN_OUTPUTS = {"config.yaml": ("config.yaml", "log_rank0.txt", "metrics.csv", "curves.png", "tb", checkpoint.LAST),
               "config_probe.yaml": ("config_probe.yaml", "log_rank0.txt", "probe.csv", "features"),
               "config_test.yaml": ("config_test.yaml", "log_rank0.txt", "pred_test.csv")}


def prepare_output(cfg: CfgNode, rt: Runtime, changes: str, config_name: str = "config.yaml",
                   resumed: CfgNode | None = None):
    """Create TRAIN.OUTPUT (held by this run: ``claimed_output``), clear the temp files of a killed save, open the
    log, write the configuration; ``changes`` says what the user changed (``config.describe_changes``). A file
    of a name this run writes that the toolkit did not write is refused first (``owned_files``)."""
    output = Path(cfg.TRAIN.OUTPUT)
    resuming_here = resumed is not None and Path(cfg.MODEL.RESUME).resolve().parent == output.resolve()
    if rt.main and resuming_here and not (output / owned_files.LEDGER).exists():
        adopt_older_run(output)
    if rt.main:
        owned_files.refuse_foreign(output, RUN_OUTPUTS[config_name], "TRAIN.OUTPUT")
        if config_name == "config.yaml":
            checkpoint.refuse_foreign_checkpoints(output)
    output.mkdir(parents=True, exist_ok=True)
    checkpoint.remove_partial_saves(output)
    if rt.main:
        owned_files.record(output, *RUN_OUTPUTS[config_name])
    logger = make_logger(output, rt.main)
    logger.info(f"device {rt.describe()}")
    logger.info(rt.threads)
    if rt.main:
        recorded = cfg if config_name != "config.yaml" else without_resume(cfg, resumed)
        with atomic_path(output / config_name) as tmp:
            tmp.write_text(recorded.dump())
        logger.info(f"configuration in {output / config_name}; changed from the defaults: {changes}")
    return logger


def adopt_older_run(output: Path) -> None:
    """A run written before the toolkit kept its ledger, resumed into its own folder: its run files are the
    toolkit's (the user names the run by resuming it), so they are recorded as such."""
    names = [n for n in RUN_OUTPUTS["config.yaml"] if (output / n).exists()]
    names += [p.name for p in output.iterdir() if checkpoint.EPOCH_NAME.fullmatch(p.name)]
    owned_files.record(output, *names)


def without_resume(cfg: CfgNode, resumed: CfgNode | None = None) -> CfgNode:
    """What a training run's config.yaml records: the configuration without MODEL.RESUME, which says how this
    process started, not what the run is, and with the first weights of the run (``resumed``: the stored
    configuration of the checkpoint it continues); so ``--cfg OUTPUT/config.yaml`` runs the whole run again."""
    recorded = cfg.clone()
    recorded.defrost()
    recorded.MODEL.RESUME = ""
    if resumed is not None:
        for key in INIT_KEYS:
            section, name = key.split(".")
            recorded[section][name] = resumed.get(section, CfgNode()).get(name, None)
    return recorded


def place(model: nn.Module, device: torch.device, channels_last: bool) -> nn.Module:
    """Move to ``device``; with ``channels_last`` the weights take the memory format the backbone prefers
    (channels-last for TSM's 2-D convolutions, channels-last-3d for 3-D CNNs), and the backbone's input follows."""
    model = model.to(device)
    memory_format = memory_format_of(model) if channels_last else None
    if memory_format is not None:
        model = model.to(memory_format=memory_format)
    return model


def wrap(model: nn.Module, cfg: CfgNode, rt: Runtime) -> nn.Module:
    """Place on the device (channels-last on CUDA), SyncBN and DDP when distributed, torch.compile when asked.
    ``checkpoint.unwrap`` undoes every wrapper."""
    if rt.world > 1 and cfg.TRAIN.SYNC_BN:
        if rt.device.type != "cuda":
            raise ValueError("TRAIN.SYNC_BN needs CUDA devices (PyTorch's SyncBatchNorm); drop it for CPU runs")
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = place(model, rt.device, rt.device.type == "cuda" and cfg.TRAIN.CHANNELS_LAST)
    if rt.world > 1:
        model = DistributedDataParallel(model, device_ids=[rt.device.index] if rt.device.type == "cuda" else None)
    if cfg.TRAIN.COMPILE:
        model = torch.compile(model)
    return model


def read_resume(cfg: CfgNode, task: Task) -> tuple[dict | None, dict]:
    """MODEL.RESUME and what it holds (``checkpoint.meta_of``), checked against this task before anything is
    written; (None, {}) without one."""
    if not cfg.MODEL.RESUME:
        return None, {}
    state = checkpoint.load(cfg.MODEL.RESUME, "MODEL.RESUME")
    meta = checkpoint.meta_of(state)
    if state.get("origin") == "original":
        init = "TRAIN.INIT_SUP" if meta["task"] == "supervised" else "TRAIN.INIT_SSL"
        raise checkpoint.CheckpointError(f"MODEL.RESUME {cfg.MODEL.RESUME} is {original_checkpoint.summary(state)}, "
                                         "whose optimiser state is not continued here; start from its weights "
                                         f"with {init} {cfg.MODEL.RESUME}")
    if meta["task"] != task.name:
        script = "train_sup.py" if meta["task"] == "supervised" else "train_ssl.py"
        raise checkpoint.CheckpointError(f"MODEL.RESUME {cfg.MODEL.RESUME} is a {meta['task']} checkpoint; "
                                         f"resume it with {script}")
    check_architecture(meta, cfg, f"MODEL.RESUME {cfg.MODEL.RESUME}")
    if int(state["epoch"]) + 1 >= cfg.TRAIN.EPOCHS:
        raise checkpoint.CheckpointError(f"MODEL.RESUME {cfg.MODEL.RESUME} finished epoch {state['epoch']}, the "
                                         f"last of TRAIN.EPOCHS {cfg.TRAIN.EPOCHS}; raise TRAIN.EPOCHS to train "
                                         "further")
    return state, meta


INIT_KEYS = ("TRAIN.INIT_SUP", "TRAIN.INIT_SSL", "MODEL.KINETICS")  # a resumed run's weights are the checkpoint's
# Keys a resumed run may change: how long, how often it reports and saves, where and with how many workers; every
# other key decides what the run computes, and a resumed run that changes one is no longer the run it continues.
RESUME_MAY_CHANGE = ("TRAIN.EPOCHS", "TRAIN.TIME_LIMIT", "TRAIN.PRINT_FREQ", "TRAIN.EPOCHS_SAVE", "TRAIN.N_CHECK",
                     "TRAIN.EPOCHS_EVAL", "TRAIN.COMPILE", "DATA.TORCH_N_WORKERS", "DATA.ROOT", "DEVICE",
                     "TRAIN.OUTPUT", "MODEL.RESUME", *INIT_KEYS)


def check_same_settings(state: dict, cfg: CfgNode) -> None:
    """CheckpointError naming every key whose value differs from the resumed run's (other than
    RESUME_MAY_CHANGE): a run resumed with another learning rate or clip size would be neither run."""
    try:
        stored = checkpoint.stored_config(state)
    except Exception:
        raise checkpoint.CheckpointError(f"MODEL.RESUME {cfg.MODEL.RESUME} holds no readable configuration; "
                                         "resume only checkpoints written by train_sup.py or train_ssl.py") from None
    recorded = merged_onto_defaults(stored)
    current = flat_values(cfg)
    differs = [k for k, v in current.items() if k not in RESUME_MAY_CHANGE and k in recorded and recorded[k] != v]
    if differs:
        shown = ", ".join(f"{k} {recorded[k]!r} (now {current[k]!r})" for k in differs[:4])
        raise checkpoint.CheckpointError(
            f"MODEL.RESUME {cfg.MODEL.RESUME} was trained with other settings: {shown}"
            f"{', ...' if len(differs) > 4 else ''}; resume with the run's own configuration (--cfg "
            f"{Path(cfg.MODEL.RESUME).parent / 'config.yaml'}), changing only {', '.join(RESUME_MAY_CHANGE[:8])}")


def run(cfg: CfgNode, task: Task, changes: str) -> None:
    rt = setup(cfg)
    with claimed_output(cfg, rt):
        _run(cfg, task, rt, changes)


def _run(cfg: CfgNode, task: Task, rt: Runtime, changes: str) -> None:
    plan = derive(cfg)
    resume_state, stored = read_resume(cfg, task)  # before the data: a wrong checkpoint is said at once
    data = task.data(cfg, rt)
    probe = OnlineProbe(cfg, rt) if cfg.PROBE.DATASET else None
    plan.n_classes, plan.steps_per_epoch = len(data.class_names), len(data.train)
    if resume_state is not None:
        checkpoint.check_classes(stored, data.class_names, f"MODEL.RESUME {cfg.MODEL.RESUME}", "resume it")
        if resume_state.get("class_digest", data.class_digest) != data.class_digest:
            raise checkpoint.CheckpointError(f"MODEL.RESUME {cfg.MODEL.RESUME} was trained on other class files "
                                             f"than those in DATA.CLASS_PARAMS {cfg.DATA.CLASS_PARAMS} (same names, "
                                             "other parameters); resume it with the class files it was trained on")
    model, init_note = task.model(cfg, plan)
    if resume_state is not None:
        checkpoint.load_weights(model, resume_state["model"], f"MODEL.RESUME {cfg.MODEL.RESUME}",
                                f"it holds a {describe(stored['arch'], stored['base'])}")
        plan.start_epoch = int(resume_state["epoch"]) + 1
        check_same_settings(resume_state, cfg)  # after the weights: a checkpoint that does not fit says so first

    resumed = checkpoint.stored_config(resume_state) if resume_state is not None else None
    # only now: the data, the checkpoints and the model are usable
    logger = prepare_output(cfg, rt, changes, resumed=resumed)
    notes = data.notes + ([probe.describe()] if probe is not None else []) + plan.notes(cfg)
    for line in notes + ([] if resume_state is not None else [init_note]):
        logger.info(line)
    logger.info(f"{describe(cfg.MODEL.ARCH, variant(cfg))} ({task.name}): "
                f"{sum(p.numel() for p in model.parameters() if p.requires_grad):,} trainable parameters")
    model = wrap(model, cfg, rt)
    optimizer = optim.build_optimizer(cfg, plan, model, fused=rt.device.type == "cuda")
    scheduler = optim.build_scheduler(cfg, plan, optimizer, plan.steps_per_epoch)
    meta = {"task": task.name, "arch": cfg.MODEL.ARCH, "base": variant(cfg), "n_classes": plan.n_classes,
            "classes": data.class_names, "class_digest": data.class_digest}
    session = Session(cfg, plan, rt, model, optimizer, scheduler, rt.scaler(), logger, meta)
    if resume_state is not None:
        session.restore(resume_state)
        logger.info(f"resumed from {cfg.MODEL.RESUME}: every weight loaded, continuing at epoch {plan.start_epoch}")
    evaluate = task.evaluator(model, rt)
    if resume_state is not None and evaluate is not None:
        logger.info(" ".join(f"{k.upper()} {v:.2f}" for k, v in evaluate().items()))
    probe_fn = None if probe is None else lambda: probe(task.encoder(model))
    fit(session, data.train, task.step(model, cfg, plan, rt), evaluate, probe_fn)
    if data.train.skipped:
        logger.warning(f"{data.train.skipped} unreadable training videos were skipped")
