"""The README's pictures, made from the tool's own output with fixed seeds: python -m assets.make_gallery

generators.gif   one video of each --type, side by side
classes.gif      three fractal classes (rows), four labelled samples each: the mutations of one class
augmentations.gif one training clip as loaded, then through each main augmentation of the training device
"""
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from src.synthetic.generator import Settings, until_valid
from src.synthetic.registry import get_generator
from src.transform.camera import camera_motion, perspective
from src.transform.crops import MEAN, STD
from src.transform.mixup import BackgroundMixup
from src.transform.batch_augment import AugmentSettings, BatchAugment
from src.utils.picture import labelled_grid

HERE = Path(__file__).resolve().parent
SEED = 7
FRAMES = 12


def _rgb(frames: np.ndarray) -> np.ndarray:
    """[F, H, W] or [F, H, W, 3] uint8 → [F, H, W, 3]."""
    return np.repeat(frames[..., None], 3, -1) if frames.ndim == 3 else frames


def sample(kind: str, res: int, rng: np.random.Generator, params: dict | None = None) -> np.ndarray:
    gen = get_generator(kind)
    return _rgb(until_valid(lambda: gen.render(Settings(res=res), rng, params))[0].frames[:FRAMES])


def grid(rows: list[list[np.ndarray]], row_labels: list[str] | None = None,
         col_labels: list[str] | None = None) -> np.ndarray:
    """Videos [F, H, W, 3] laid out in rows → one labelled video (as long as the shortest)."""
    n = min(v.shape[0] for row in rows for v in row)
    return labelled_grid([[v[:n] for v in row] for row in rows], row_labels, col_labels)


def save_gif(video: np.ndarray, path: Path, fps: int = 8) -> Path:
    images = [Image.fromarray(frame) for frame in video]
    images[0].save(path, save_all=True, append_images=images[1:], duration=1000 // fps, loop=0, optimize=True)
    return path


def generators_gif(out: Path = HERE) -> Path:
    rng = np.random.default_rng(SEED)
    perlin = get_generator("perlin").class_params("5-8-1")  # perlin is always labelled: 5 x 8 cells per frame
    kinds = ("fractal", "perlin", "octopus", "dead_leaves")
    videos = [sample(kind, 192, rng, perlin if kind == "perlin" else None) for kind in kinds]
    return save_gif(grid([videos], col_labels=[f"--type {k}" for k in kinds]), out / "generators.gif")


def classes_gif(out: Path = HERE) -> Path:
    rng = np.random.default_rng(SEED)
    fractal = get_generator("fractal")
    classes = [until_valid(lambda: fractal.sample_class(Settings(res=128), rng))[0][0] for _ in range(3)]
    rows = [[sample("fractal", 128, rng, params) for _ in range(4)] for params in classes]
    return save_gif(grid(rows, [f"class {i + 1}" for i in range(3)], [f"sample {j + 1}" for j in range(4)]),
                    out / "classes.gif")


def augmentations_gif(out: Path = HERE) -> Path:
    """Row: as loaded, background mixup, perspective, camera pan/zoom/shake, RandAugment + flip + blur."""
    rng = np.random.default_rng(SEED)
    clips = torch.stack([torch.from_numpy(sample("fractal", 160, rng)).permute(3, 0, 1, 2).float() / 255
                         for _ in range(4)])  # [B, 3, T, H, W]; the other clips give the mixup its backgrounds
    torch.manual_seed(SEED)
    mean, std = torch.tensor(MEAN).view(1, 3, 1, 1, 1), torch.tensor(STD).view(1, 3, 1, 1, 1)
    mixup = BackgroundMixup(160, 1, prob_scale=1.0, prob_shift=1.0, prob_clone=0.5)
    augment = BatchAugment(AugmentSettings(auto_augment_m=9, auto_augment_n=2, prob_blur=1.0))
    views = [clips, mixup(clips, 1), perspective(clips, 1.0), camera_motion(clips, 1, 1, 1.0, 1.0, 1.0),
             (augment(clips, 1) * std + mean).clamp(0, 1)]
    row = [(v[0].permute(1, 2, 3, 0).numpy() * 255).astype(np.uint8) for v in views]
    names = ["as loaded", "background mixup", "perspective", "camera motion", "RandAugment, blur"]
    return save_gif(grid([row], col_labels=names), out / "augmentations.gif", fps=6)


def main() -> None:
    for make in (generators_gif, classes_gif, augmentations_gif):
        path = make()
        print(f"wrote {path} ({path.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
