"""The CPU thread budget: the main process uses the cores it may run on, workers run one thread, idle OpenMP
threads of the training scripts sleep instead of spinning, and a user's OMP_NUM_THREADS / OMP_WAIT_POLICY is left
alone."""
import os
import subprocess
import sys

import pytest

from generate_helpers import ROOT
from src.utils.threads import main_threads, usable_cores

PROBE = """
import torch, cv2
from cfg.defaults import defaults
from src.data.loaders import make_loader
from src.train.runtime import setup

class Threads(torch.utils.data.Dataset):
    def __len__(self):
        return 2
    def __getitem__(self, key):
        return torch.tensor([torch.get_num_threads(), cv2.getNumThreads()])

import sys
cfg = defaults()
cfg.DATA.TORCH_N_WORKERS = int(sys.argv[1])
rt = setup(cfg)
worker = next(iter(make_loader(Threads(), 2, cfg.DATA.TORCH_N_WORKERS, shuffle=False)))[0].tolist()
print(torch.get_num_threads(), worker, rt.threads, sep="|")
"""


def probe(workers: int, env_extra: dict) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"} | env_extra
    done = subprocess.run([sys.executable, "-c", PROBE, str(workers)], capture_output=True, text=True, cwd=ROOT,
                          env=env)
    assert done.returncode == 0, done.stderr[-1500:]
    return done.stdout.strip().split("|")


def test_the_main_process_uses_its_allowed_cores_and_a_small_pool_on_cuda():
    assert main_threads(2, "cpu", cores=2) == 2 and main_threads(2, "cpu", cores=16) == 16
    assert main_threads(8, "cuda", cores=16) == 4 and main_threads(0, "cpu", cores=1) == 1
    assert usable_cores() == len(os.sched_getaffinity(0))


def test_budget_applied_in_the_main_process_and_in_a_worker():
    main, worker, line = probe(1, {})
    assert int(main) == main_threads(1, "cpu")
    assert worker == "[1, 1]" and "1 single-threaded loader workers" in line  # torch and OpenCV in the worker
    assert "threads:" in line


def test_an_explicit_omp_num_threads_wins():
    main, _, line = probe(0, {"OMP_NUM_THREADS": "1"})  # the budget alone would give every usable core
    assert main == "1" and "OMP_NUM_THREADS=1 is set" in line


def openmp_spin_count(script: str, env_extra: dict) -> str:
    """GOMP_SPINCOUNT that torch's OpenMP runtime reports when it loads after ``script`` is imported."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | {"OMP_DISPLAY_ENV": "verbose"} | env_extra
    done = subprocess.run([sys.executable, "-c", f"import {script}, torch"], capture_output=True, text=True,
                          cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-1500:]
    return next(line.split("=")[1].strip(" '") for line in done.stderr.splitlines() if "GOMP_SPINCOUNT" in line)


@pytest.mark.parametrize("script", ["train_sup", "train_ssl", "val_sup"])
def test_training_scripts_make_idle_openmp_threads_sleep(script):
    assert openmp_spin_count(script, {}) == "0"  # passive: no spinning at all (libgomp's default spins 300000)


def test_an_explicit_omp_wait_policy_wins():
    assert openmp_spin_count("train_sup", {"OMP_WAIT_POLICY": "active"}) not in ("0", "300000")


def test_the_log_line_names_the_wait_policy():
    *_, line = probe(0, {"OMP_WAIT_POLICY": "PASSIVE"})
    assert "idle OpenMP threads sleep (OMP_WAIT_POLICY=PASSIVE)" in line
