"""Fractal clips rendered while training (``DATA.SOURCE fractal``): no video files, no download.

``FractalSource`` renders with the generator itself (``FractalGenerator.render``), only the frames a clip takes
and at ``DATA.RENDER_RES``. Labelled items are mutations of class files (``generate_synthetic.py --gen_param``),
exactly as ``generate_synthetic.py --dir_in`` makes them; unlabelled items draw fresh parameters. An item's
randomness comes from its seed (``EpochSampler``), so the same seed gives the same clip whatever the workers.
"""
import hashlib
import math
from pathlib import Path

import numpy as np
import torch

from ..synthetic.batch_render import default_splats
from ..synthetic.chaos_game import compile_kernels
from ..synthetic.class_files import ClassFileError, find_class_files
from ..synthetic.fractal import FractalGenerator
from ..synthetic.fractal_params import check_kind, load_params
from ..synthetic.generator import MAX_ATTEMPTS, TRIAL, Settings, draws_something, until_valid
from .sources import Pick
from .video_files import DatasetError

VAL_SEED_OFFSET = 7_919_000_003  # validation items draw from their own seeds, fixed across epochs


def load_classes(folder: Path) -> tuple[list[dict], dict[str, int]]:
    """Class parameter files below ``folder`` (sorted) → their parameters and the class dictionary."""
    if not folder.is_dir():
        raise DatasetError(f"DATA.CLASS_PARAMS {folder} is not a folder; create class files with: "
                           f"python generate_synthetic.py --type fractal --gen_param 100 --dir_out {folder}")
    try:
        files = find_class_files(folder)
        if not files:
            raise DatasetError(f"DATA.CLASS_PARAMS {folder} holds no class files (*.npz); create them with "
                               "generate_synthetic.py --type fractal --gen_param N")
        params = [load_params(f) for f in files]
        for f, p in zip(files, params):
            check_kind(f, p, img=False)
            if not draws_something(FractalSource.generator, p, Settings()):
                raise ClassFileError(f"class file {f} draws no usable clip (a trial render at {TRIAL['res']} px "
                                     f"failed {MAX_ATTEMPTS} times: its maps or timing are degenerate); remove it "
                                     "from DATA.CLASS_PARAMS or sample classes anew with --gen_param")
    except ClassFileError as e:
        raise DatasetError(str(e)) from None
    return params, {f.stem: i for i, f in enumerate(files)}


def classes_digest(classes: list[dict]) -> str:
    """A digest of the class parameters in label order: other class files under the same names differ."""
    h = hashlib.sha256()
    for params in classes:
        for key in sorted(params):
            value = np.ascontiguousarray(params[key])
            h.update(f"{key}:{value.dtype}:{value.shape};".encode())
            h.update(value.tobytes())
    return h.hexdigest()[:16]


class FractalSource:
    """``n`` rendered videos: labelled round robin over ``classes`` (balanced epochs), or fresh when None.
    With ``fixed`` (validation) item ``i`` is always the same draw, whatever the seed it is asked with."""

    generator = FractalGenerator()

    def __init__(self, n: int, settings: Settings, classes: list[dict] | None = None, seed: int = 0,
                 fixed: bool = False):
        self.n, self.settings, self.classes, self.seed, self.fixed = n, settings, classes, seed, fixed
        compile_kernels()  # here, before the loader's workers start, not once in each of them
        self.labels = [i % len(classes) if classes else i for i in range(n)]

    def __len__(self) -> int:
        return self.n

    def name(self, i: int) -> str:
        return f"rendered fractal {i}"

    def short_videos(self, span: int) -> int:
        return 0  # 18-20 frames: every clip of the recipes fits; longer clips repeat the last frame

    def frames(self, i: int, pick: Pick, rng: np.random.Generator) -> torch.Tensor:
        if self.fixed:
            rng = np.random.default_rng(VAL_SEED_OFFSET + self.seed * 1_000_003 + i)
        params = self.classes[self.labels[i]] if self.classes else None
        sample, _ = until_valid(lambda: self.generator.render(self.settings, rng, params, frames=pick))
        gray = torch.from_numpy(sample.frames)  # [*indices.shape, S, S]
        return gray.unsqueeze(0).expand(3, *gray.shape).contiguous()


def render_settings(img_size: int, render_res: int = 0, splats: int = 0) -> Settings:
    """The generator's defaults at ``render_res`` (0: the validation resize side, img_size·256/224), with
    ``splats`` splats per frame (0: the file generator's density at that side)."""
    res = render_res or int(256 / 224 * img_size)
    res += res % 2
    base = Settings(res=res)
    splats = splats or default_splats(res)
    return Settings(res=res, iters=base.iter_skip + math.ceil(splats / base.bs_point))
