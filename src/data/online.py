"""Fractal clips rendered while training (``DATA.SOURCE fractal``): no video files, no Google Drive.

Each item renders one fractal video's worth of parameters with the generator's renderer
(``src/synthetic/fractal.render_fractal``), but only the frames its clip(s) take and at ``DATA.RENDER_RES``.
Labelled items come from class parameter files (``generate_synthetic.py --gen_param``), mutated per sample as in
``generate_synthetic.py --dir_in``; unlabelled items draw fresh parameters. Everything an item draws comes from
its seed (``EpochSampler``), so the same seed gives the same clips whatever the workers.
"""
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..synthetic.class_files import ClassFileError
from ..synthetic.fractal import RenderSettings, render_fractal
from ..synthetic.fractal_params import load_params, mutate, params_weights, sample_video_params
from ..synthetic.generator import until_valid
from .clip_sampling import contrastive_clips, random_clip, validation_clips
from .datasets import ClipSpec, item_randomness
from .video_files import DatasetError

VAL_SEED_OFFSET = 7_919_000_003  # validation items draw from their own seeds, fixed across epochs


def load_classes(folder: Path) -> tuple[list[dict], dict[str, int]]:
    """Class parameter files below ``folder`` (sorted) → their parameters and the class dictionary."""
    if not folder.is_dir():
        raise DatasetError(f"DATA.CLASS_PARAMS {folder} is not a folder; create class files with: "
                           f"python generate_synthetic.py --type fractal --gen_param 100 --dir_out {folder}")
    files = sorted(folder.rglob("*.npz"))
    if not files:
        raise DatasetError(f"DATA.CLASS_PARAMS {folder} holds no class files (*.npz); create them with "
                           "generate_synthetic.py --type fractal --gen_param N")
    try:
        params = [load_params(f) for f in files]
    except ClassFileError as e:
        raise DatasetError(str(e)) from None
    if any("weights" in p for p in params):
        raise DatasetError(f"DATA.CLASS_PARAMS {folder} holds image-mode class files (--img); video classes are needed")
    return params, {f.stem: i for i, f in enumerate(files)}


class OnlineFractals(Dataset):
    """``mode``: 'train' → (clip [3, T, S, S], label); 'pairs' → ([2, 3, T, S, S], index);
    'val' → (segments [N, 3, T, S, S], labels [N], ids [N]) with a fixed draw per item."""

    def __init__(self, n_samples: int, spec: ClipSpec, transform, settings: RenderSettings,
                 classes: list[dict] | None = None, mode: str = "train", seed: int = 0):
        self.n, self.spec, self.transform, self.settings = n_samples, spec, transform, settings
        self.classes, self.mode, self.seed = classes, mode, seed
        self.labels = [self.label(i) for i in range(n_samples)]
        self.counts = [20] * n_samples  # nominal; videos have 18-20 frames, every clip of the pre-training fits

    def __len__(self) -> int:
        return self.n

    def label(self, i: int) -> int:
        """Labelled sets cycle through the classes, so every epoch is balanced."""
        return i % len(self.classes) if self.classes else i

    def short_videos(self) -> int:
        return 0

    def _draw(self, rng: np.random.Generator, label: int):
        """Weights [F, N, 6] and variation of one video: a mutated class sample, or fresh parameters."""
        if self.classes:
            params = self.classes[label]
            return mutate(rng, params_weights(params)), int(params["var"])
        params = sample_video_params(rng, [-1])
        return params_weights(params), int(params["var"])

    def _render(self, rng: np.random.Generator, label: int, pick) -> tuple[np.ndarray, np.ndarray]:
        """Frames of the clip indices ``pick(n_frames)`` ([K, T] or [T]) as [..., 3, T, S, S] uint8."""
        def attempt():
            weights, var = self._draw(rng, label)
            clips = pick(len(weights))
            needed, inverse = np.unique(clips, return_inverse=True)
            frames = render_fractal(weights, var, self.settings, rng, frames=needed)
            return frames[inverse.reshape(clips.shape)]
        frames, _ = until_valid(attempt)
        video = torch.from_numpy(frames)  # [..., T, S, S] gray
        return video.unsqueeze(-3).expand(*video.shape[:-2], 3, *video.shape[-2:]).movedim(-3, -4)

    def __getitem__(self, key):
        i, seed = key if isinstance(key, tuple) else (key, None)
        s, label = self.spec, self.label(i)
        if self.mode == "val" or seed is None:
            seed = VAL_SEED_OFFSET + self.seed * 1_000_003 + i
        with item_randomness(seed) as rng:
            if self.mode == "train":
                clip = self._render(rng, label, lambda n: random_clip(n, s.clip_length, s.stride, rng))
                return self.transform(clip.contiguous()), label
            if self.mode == "pairs":
                views = self._render(rng, label, lambda n: contrastive_clips(n, s.clip_length, s.stride, rng))
                return torch.stack([self.transform(v.contiguous()) for v in views]), i
            segments = self._render(rng, label, lambda n: validation_clips(n, s.clip_length, s.stride,
                                                                           s.val_min_steps, s.val_max_segs))
            n_segs = segments.shape[0]
            joined = self.transform(segments.transpose(0, 1).reshape(3, -1, *segments.shape[-2:]).contiguous())
            clips = joined.reshape(3, n_segs, s.clip_length, *joined.shape[-2:]).transpose(0, 1)
            return clips, torch.full((n_segs,), label), torch.full((n_segs,), i)


def render_settings(cfg) -> RenderSettings:
    """The generator's defaults at DATA.RENDER_RES (auto: the validation resize side, IMG_SIZE·256/224)."""
    res = cfg.DATA.RENDER_RES or int(256 / 224 * cfg.DATA.IMG_SIZE)
    return RenderSettings(res=res + res % 2)


def online_labelled(cfg, spec: ClipSpec, train_transform, val_transform):
    """Training and validation sets rendered from DATA.CLASS_PARAMS, and the class dictionary."""
    if not cfg.DATA.CLASS_PARAMS:
        raise DatasetError("DATA.SOURCE fractal with labels needs DATA.CLASS_PARAMS <folder of class files>")
    classes, names = load_classes(Path(cfg.DATA.CLASS_PARAMS))
    settings = render_settings(cfg)
    train = OnlineFractals(cfg.DATA.SAMPLES_PER_EPOCH, spec, train_transform, settings, classes, "train", cfg.SEED)
    val = OnlineFractals(cfg.DATA.VAL_SAMPLES, spec, val_transform, settings, classes, "val", cfg.SEED)
    return train, val, names


def online_unlabelled(cfg, spec: ClipSpec, transform) -> OnlineFractals:
    """Contrastive pairs of fresh fractals (or of DATA.CLASS_PARAMS classes when given)."""
    classes = load_classes(Path(cfg.DATA.CLASS_PARAMS))[0] if cfg.DATA.CLASS_PARAMS else None
    return OnlineFractals(cfg.DATA.SAMPLES_PER_EPOCH, spec, transform, render_settings(cfg), classes, "pairs",
                          cfg.SEED)
