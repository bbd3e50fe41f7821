"""The rendered sources by family (``DATA.SOURCE``), and what each needs: its frame side and its classes."""
from dataclasses import replace
from pathlib import Path

from ..synthetic.generator import Settings
from ..synthetic.variations import variation_problem
from .fractal_source import FractalSource, render_settings
from .rendered_source import DeadLeavesSource, OctopusSource, PerlinSource, RenderedSource, render_side
from .video_files import DatasetError

SOURCES: dict[str, type[RenderedSource]] = {"fractal": FractalSource, "perlin": PerlinSource,
                                            "octopus": OctopusSource, "dead_leaves": DeadLeavesSource}


def settings_for(family: str, img_size: int, render_res: int = 0, splats: int = 0, var: tuple[int, ...] = (-1,),
                 linear_motion: bool = False) -> Settings:
    """How ``family`` renders for crops of ``img_size``: at ``render_res`` (0: the validation resize side,
    img_size·256/224), fractals with ``splats`` splats per frame (0: the file generator's density there), the
    variations ``var`` for fresh samples and, with ``linear_motion``, linear timing for every map."""
    if family == "fractal":
        return replace(render_settings(img_size, render_res, splats), var=tuple(sorted(var)),
                       linear_motion=linear_motion)
    return Settings(res=render_side(img_size, render_res))


def variations_problem(var: list[int]) -> str | None:
    """What is wrong with DATA.RENDER_VAR (the fractal variations fresh samples may draw), or None."""
    problem = variation_problem(var)
    return f"DATA.RENDER_VAR {problem}" if problem else None


def classes_for(family: str, folder: str | None, labelled: bool) -> tuple[list[dict] | None, dict[str, int], str]:
    """The classes a rendered run draws from, their names and where they come from: the class files in
    ``folder`` (DATA.CLASS_PARAMS), perlin's own 256 frequencies, or none (fresh samples, unlabelled runs)."""
    source = SOURCES[family]
    if family == "perlin":
        if not labelled:
            return None, {}, "Perlin noise of random frequencies"
        classes, names = source.own_classes()
        return classes, names, "Perlin noise, 256 frequency classes"
    if not folder:
        if labelled:
            raise DatasetError(f"DATA.SOURCE {family} with labels needs DATA.CLASS_PARAMS <folder of class files>; "
                               f"create them with: python generate_synthetic.py --type {family} --gen_param 100 "
                               f"--dir_out data/{family}-params")
        return None, {}, f"fresh {family} samples"
    classes, names = source.load_classes(Path(folder))
    return classes, names, f"{family} classes in {folder}"
