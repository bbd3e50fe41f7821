"""A tiny 3-class video dataset and runners for the training scripts."""
import subprocess
from pathlib import Path

import numpy as np

import zygote
from generate_helpers import ROOT
from video_fixtures import FORMATS, write

TINY_CLIPS = ["DATA.EXTENSION", "mp4", "DATA.IMG_SIZE", "32", "DATA.CLIP_LENGTH", "4", "DATA.STRIDE", "2",
              "DATA.BATCH_SIZE", "8", "DATA.TORCH_N_WORKERS", "0"]
TINY = [*TINY_CLIPS, "MODEL.TSM_BASE", "resnet18"]  # MODEL.TSM_BASE is refused for other MODEL.ARCH: use TINY_CLIPS


def evaluation_opts(opts: list, task: str = "evaluation") -> list:
    """``opts`` without the pairs val_sup.py (``evaluation``) or probe.py (``probe``) does not read: it refuses
    them."""
    from src.train.config import READS
    return [x for k, v in zip(opts[::2], opts[1::2]) if k in READS[task] for x in (k, v)]


def make_dataset(root: Path, n_train: int = 8, n_val: int = 3, name: str = "toy", fmt: str = "h264") -> Path:
    """``root/<name>/{train,val}/c0..c2``: bright, dark and striped 12-frame 32 px videos (``fmt``: a format of
    ``video_fixtures.FORMATS``)."""
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("val", n_val)):
        for c in range(3):
            for i in range(n):
                frames = np.zeros((12, 32, 32, 3), np.uint8)
                if c == 0:
                    frames[:] = 200 + rng.integers(0, 40)
                elif c == 1:
                    frames[:] = 30 + rng.integers(0, 40)
                else:
                    frames[:, :, ::4] = 255
                write(root / name / split / f"c{c}" / f"{i}.{FORMATS[fmt][0]}", frames, fmt)
    return root


def make_fade_dataset(root: Path, n_train: int = 12, n_val: int = 8, name: str = "fade") -> Path:
    """``root/<name>/{train,val}/c0..c2``: 12-frame 32 px videos of a random coarse texture at a random brightness
    that fades in (c0), fades out (c1) or fades in and out (c2). Every class shows the same frames in another
    order, so an encoder must have learnt the order to tell them apart: a random one cannot."""
    rng = np.random.default_rng(0)
    ramps = [np.linspace(0.3, 1, 12), np.linspace(1, 0.3, 12),
             np.concatenate([np.linspace(0.3, 1, 6), np.linspace(1, 0.3, 6)])]
    for split, n in (("train", n_train), ("val", n_val)):
        for c, gain in enumerate(ramps):
            for i in range(n):
                texture = np.kron(rng.integers(0, 256, (8, 8, 3)), np.ones((4, 4, 1)))
                frames = (texture[None] * gain[:, None, None, None] * rng.uniform(0.4, 1)).astype(np.uint8)
                write(root / name / split / f"c{c}" / f"{i}.{FORMATS['h264'][0]}", frames, "h264")
    return root


def run_script(script: str, *opts, env=None, prefix=(), args=()) -> subprocess.CompletedProcess:
    """``python [prefix] SCRIPT [args] --opts OPTS`` in its own process (forked from tests/zygote.py's server)."""
    return zygote.run([*prefix, ROOT / script, *args, "--opts", *opts], env=env)


def run_in_process(script: str, *opts, args=()) -> subprocess.CompletedProcess:
    """``run_script`` in this process, for runs that end at a one-line error: the script's ``main`` with its
    output captured, without a second of interpreter and PyTorch start-up per case."""
    import contextlib
    import importlib.util
    import io
    spec = importlib.util.spec_from_file_location(f"script_{Path(script).stem}", ROOT / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out, err = io.StringIO(), io.StringIO()
    argv = [*map(str, args), "--opts", *map(str, opts)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = module.main(argv)
        except SystemExit as e:  # argparse errors exit
            code = e.code
    return subprocess.CompletedProcess([script, *argv], code, out.getvalue(), err.getvalue())
