"""Output file names (docs/generators.md) and the scan that lets a re-run resume."""
import re
from pathlib import Path

from .fractal_params import IMAGES_PER_SAMPLE


def _stem(step: int, tag: int | None) -> str:
    return f"{step}" if tag is None else f"{step}-{tag}"


def video_path(dir_out: Path, step: int, tag: int | None, label: str | None) -> Path:
    """Labelled: <dir_out>/<label>/<step>.mp4; unlabelled: <dir_out>/<step>[-<tag>].mp4."""
    return dir_out / label / f"{step}.mp4" if label else dir_out / f"{_stem(step, tag)}.mp4"


def image_paths(dir_out: Path, step: int, tag: int | None, label: str | None) -> list[Path]:
    if label:
        return [dir_out / label / f"{step}-{j}.jpg" for j in range(IMAGES_PER_SAMPLE)]
    return [dir_out / f"{_stem(step, tag)}-{j}.jpg" for j in range(IMAGES_PER_SAMPLE)]


def class_path(dir_out: Path, index: int, tag: int | None) -> Path:
    return dir_out / f"{_stem(index, tag)}.npz"


def finished_steps(dir_out: Path, img: bool, gen_param: bool) -> set[int]:
    """Steps whose outputs are all on disk (complete files only ever appear by rename)."""
    if gen_param:
        pattern, files = re.compile(r"(\d+)(?:-\d+)?\.npz"), dir_out.glob("*.npz")
    elif img:
        pattern, files = re.compile(r"(\d+)(?:-\d+)?-\d+\.jpg"), dir_out.rglob("*.jpg")
    else:
        pattern, files = re.compile(r"(\d+)(?:-\d+)?\.mp4"), dir_out.rglob("*.mp4")
    counts: dict[int, int] = {}
    for f in files:
        m = pattern.fullmatch(f.name)
        if m:
            counts[int(m.group(1))] = counts.get(int(m.group(1)), 0) + 1
    need = IMAGES_PER_SAMPLE if img and not gen_param else 1
    return {step for step, n in counts.items() if n >= need}
