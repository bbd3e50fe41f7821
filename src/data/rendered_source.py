"""Clips rendered while training (``DATA.SOURCE fractal | perlin | octopus | dead_leaves``): no video files.

A ``RenderedSource`` holds ``n`` videos of one family and renders, with the generator ``generate_synthetic.py``
uses, only the frames a clip takes (``Generator.render(..., frames=pick)`` gives exactly those frames of the
whole video). The video draws from a stream of its own, spawned from the item's, so where the clip sampler puts
the clip changes nothing else of the video. Labelled items go round robin over the classes (balanced epochs) and are drawn as
``generate_synthetic.py --dir_in`` draws them; unlabelled ones are fresh samples. An item's randomness comes from
its seed (``EpochSampler``), so the same seed gives the same clip whatever the workers; with ``fixed``
(validation) item ``i`` is always the same draw.
"""
import hashlib
from pathlib import Path

import numpy as np
import torch

from ..synthetic.class_files import ClassFileError, find_class_files, load_class
from ..synthetic.dead_leaves import DeadLeavesGenerator
from ..synthetic.generator import Generator, Settings, until_valid
from ..synthetic.octopus import OctopusGenerator
from ..synthetic.perlin import PerlinGenerator
from ..synthetic.registry import GENERATORS
from .sources import Pick
from .video_files import DatasetError

VAL_SEED_OFFSET = 7_919_000_003  # validation items draw from their own seeds, fixed across epochs
INSTANCE_KEY = 1_000_003  # instance k of class c draws from SeedSequence(seed, (INSTANCE_KEY, c, k))


def render_side(img_size: int, render_res: int = 0) -> int:
    """The rendered frame side for crops of ``img_size``: ``render_res``, or 0 for the validation resize side
    (img_size·256/224), made even."""
    res = render_res or int(256 / 224 * img_size)
    return res + res % 2


def classes_digest(classes: list[dict]) -> str:
    """A digest of the class parameters in label order: other class files under the same names differ."""
    h = hashlib.sha256()
    for params in classes:
        for key in sorted(params):
            value = np.ascontiguousarray(params[key])
            h.update(f"{key}:{value.dtype}:{value.shape};".encode())
            h.update(value.tobytes())
    return h.hexdigest()[:16]


def family_of(params: dict) -> str | None:
    """The family whose class files hold these arrays (the one with the most of its keys present), or None."""
    fits = [(len(g.class_keys), kind) for kind, g in GENERATORS.items()
            if g.class_keys and set(g.class_keys) <= set(params)]
    return max(fits)[1] if fits else None


class RenderedSource:
    """``n`` rendered videos of one family: labelled round robin over ``classes``, or fresh when None. With
    ``instances`` N each class has a fixed pool of N samples, cycled (as a file set holds N videos per class)."""

    family = ""
    generator: Generator
    rgb = False  # the family draws RGB frames (octopus, dead leaves), not gray ones

    def __init__(self, n: int, settings: Settings, classes: list[dict] | None = None, seed: int = 0,
                 fixed: bool = False, instances: int = 0):
        self.n, self.settings, self.classes, self.seed, self.fixed = n, settings, classes, seed, fixed
        self.instances = instances if classes else 0
        self.labels = [i % len(classes) if classes else i for i in range(n)]

    @classmethod
    def load_classes(cls, folder: Path) -> tuple[list[dict], dict[str, int]]:
        """Class files below ``folder`` (sorted) → their parameters and the class dictionary; DatasetError (one
        line) for a missing folder or a file of another family."""
        make = f"python generate_synthetic.py --type {cls.family} --gen_param 100 --dir_out {folder}"
        if not folder.is_dir():
            raise DatasetError(f"DATA.CLASS_PARAMS {folder} is not a folder; create class files with: {make}")
        try:
            files = find_class_files(folder)
            if not files:
                raise DatasetError(f"DATA.CLASS_PARAMS {folder} holds no class files (*.npz); create them with: "
                                   f"{make}")
            params = [cls.class_file(f) for f in files]
        except ClassFileError as e:
            raise DatasetError(str(e)) from None
        return params, {f.stem: i for i, f in enumerate(files)}

    @classmethod
    def class_file(cls, path: Path) -> dict:
        """One class file's parameters, checked to be of this family (ClassFileError)."""
        try:
            return cls.generator.class_params(path)
        except ClassFileError:
            kind = family_of(load_class(path, ()))
            if kind and kind != cls.family:
                raise ClassFileError(f"class file {path} is a {kind} class file; DATA.SOURCE {cls.family} needs "
                                     f"{cls.family} class files (generate_synthetic.py --type {cls.family} "
                                     f"--gen_param N), or set DATA.SOURCE {kind}") from None
            raise

    def __len__(self) -> int:
        return self.n

    def name(self, i: int) -> str:
        return f"rendered {self.family} {i}"

    def short_videos(self, span: int) -> int:
        return 0  # 18-20 frames: every clip of the recipes fits; longer clips repeat the last frame

    def params(self, i: int, rng: np.random.Generator) -> dict | None:
        """The class parameters item ``i`` is drawn from (None: fresh parameters)."""
        return self.classes[self.labels[i]] if self.classes else None

    def frames(self, i: int, pick: Pick, rng: np.random.Generator) -> torch.Tensor:
        if self.fixed:
            rng = np.random.default_rng(VAL_SEED_OFFSET + self.seed * 1_000_003 + i)
        elif self.instances:  # the same video every time; the clip's start and crop still come from the item
            k = (i // len(self.classes)) % self.instances
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(INSTANCE_KEY, self.labels[i], k)))
        params = self.params(i, rng)
        video_rng = rng.spawn(1)[0]  # the video's own stream: what the clip sampler draws from ``rng`` leaves it be
        sample, _ = until_valid(lambda: self.generator.render(self.settings, video_rng, params, frames=pick))
        video = torch.from_numpy(sample.frames)  # [*indices.shape, S, S] gray or [..., S, S, 3] RGB
        if self.rgb:
            return video.movedim(-1, 0).contiguous()
        return video.unsqueeze(0).expand(3, *video.shape).contiguous()


class PerlinSource(RenderedSource):
    """Perlin noise: always labelled by its 256 (row, column) frequencies, never by class files; an unlabelled
    item draws its frequency at random."""

    family, generator = "perlin", PerlinGenerator()

    @classmethod
    def own_classes(cls) -> tuple[list[dict], dict[str, int]]:
        names = cls.generator.fixed_classes()
        return [cls.generator.class_params(n) for n in names], {n: i for i, n in enumerate(names)}

    def params(self, i: int, rng: np.random.Generator) -> dict:
        if self.classes:
            return self.classes[self.labels[i]]
        names = self.generator.fixed_classes()
        return self.generator.class_params(names[int(rng.integers(len(names)))])


class OctopusSource(RenderedSource):
    family, generator, rgb = "octopus", OctopusGenerator(), True


class DeadLeavesSource(RenderedSource):
    family, generator, rgb = "dead_leaves", DeadLeavesGenerator(), True
