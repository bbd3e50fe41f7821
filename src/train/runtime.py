"""Device, seeding, mixed precision and distributed set-up, and the decisions every rank must share."""
import contextlib
import os
import random
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from yacs.config import CfgNode

from ..utils.threads import apply_main_budget, loader_workers


@dataclass
class Runtime:
    device: torch.device
    rank: int = 0
    world: int = 1
    amp_dtype: torch.dtype | None = None  # None: full precision
    threads: str = ""  # the thread-budget decision, for the log

    @property
    def main(self) -> bool:
        return self.rank == 0

    def describe(self) -> str:
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else \
            f"{torch.get_num_threads()} threads in the main process"
        amp = {None: "off", torch.float16: "float16", torch.bfloat16: "bfloat16"}[self.amp_dtype]
        return f"{self.device} ({name}; world size {self.world}; AMP {amp})"

    def autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def scaler(self) -> torch.amp.GradScaler:
        """Loss scaling for float16 on CUDA; disabled (a pass-through) otherwise."""
        return torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)


def seed_everything(seed: int) -> None:
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = True  # speed: CUDA runs are not bit-exact, CPU runs are


def setup(cfg: CfgNode) -> Runtime:
    """Join the process group under torchrun (gloo on CPU, nccl on CUDA); pick the device and AMP type."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    cuda = torch.cuda.is_available()
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    if cuda:
        index = int(os.environ.get("LOCAL_RANK", cfg.DEVICE)) if world > 1 else cfg.DEVICE
        torch.cuda.set_device(index)
        device = torch.device("cuda", index)
        amp = torch.float16 if cfg.TRAIN.AMP else None
    else:
        device = torch.device("cpu")
        amp = torch.bfloat16 if cfg.TRAIN.AMP_CPU_BF16 else None
    threads = apply_main_budget(loader_workers(cfg.DATA.TORCH_N_WORKERS), device.type)
    seed_everything(cfg.SEED + rank)
    return Runtime(device, rank, world, amp, threads)


def all_reduce_sum(values: list[float], rt: Runtime) -> list[float]:
    """Sum ``values`` over all ranks (identity for one process)."""
    if rt.world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=rt.device)
    dist.all_reduce(t)
    return t.tolist()


def all_ranks(flag: bool, rt: Runtime) -> bool:
    """True when ``flag`` holds on every rank (``flag`` itself for one process)."""
    if rt.world == 1:
        return flag
    t = torch.tensor([0.0 if flag else 1.0], device=rt.device)
    dist.all_reduce(t)
    return t.item() == 0


def any_rank(flag: bool, rt: Runtime) -> bool:
    """True when ``flag`` holds on at least one rank."""
    return not all_ranks(not flag, rt)
