"""Fractal clips rendered while training (``DATA.SOURCE fractal``), by the file generator's own renderer
(``FractalGenerator.render``) at ``DATA.RENDER_RES`` with ``DATA.RENDER_SPLATS`` splats per frame."""
import math
from pathlib import Path

from ..synthetic.batch_render import default_splats
from ..synthetic.chaos_game import compile_kernels
from ..synthetic.class_files import ClassFileError
from ..synthetic.fractal import FractalGenerator
from ..synthetic.fractal_params import check_kind
from ..synthetic.generator import MAX_ATTEMPTS, TRIAL, Settings, draws_something
from .rendered_source import RenderedSource, render_side


class FractalSource(RenderedSource):
    """Labelled items are mutations of class files (``generate_synthetic.py --gen_param``); unlabelled ones draw
    fresh parameters."""

    family, generator = "fractal", FractalGenerator()

    def __init__(self, n: int, settings: Settings, classes: list[dict] | None = None, seed: int = 0,
                 fixed: bool = False, instances: int = 0):
        super().__init__(n, settings, classes, seed, fixed, instances)
        compile_kernels()  # here, before the loader's workers start, not once in each of them

    @classmethod
    def class_file(cls, path: Path) -> dict:
        params = super().class_file(path)
        check_kind(path, params, img=False)
        if not draws_something(cls.generator, params, Settings()):
            raise ClassFileError(f"class file {path} draws no usable clip (a trial render at {TRIAL['res']} px "
                                 f"failed {MAX_ATTEMPTS} times: its maps or timing are degenerate); remove it "
                                 "from DATA.CLASS_PARAMS or sample classes anew with --gen_param")
        return params


def render_settings(img_size: int, render_res: int = 0, splats: int = 0) -> Settings:
    """The generator's defaults at ``render_res`` (0: the validation resize side, img_size·256/224), with
    ``splats`` splats per frame (0: the file generator's density at that side)."""
    res = render_side(img_size, render_res)
    base = Settings(res=res)
    splats = splats or default_splats(res)
    return Settings(res=res, iters=base.iter_skip + math.ceil(splats / base.bs_point))
