"""Output file names (spec/generation.md §3.10) and the scan that lets a re-run resume."""
import re
from pathlib import Path

from .fractal_params import IMAGES_PER_SAMPLE



def video_path(dir_out: Path, step: int, var: int, label: str | None) -> Path:
    return dir_out / label / f"{step}.mp4" if label else dir_out / f"{step}-{var}.mp4"


def image_paths(dir_out: Path, step: int, var: int, label: str | None) -> list[Path]:
    if label:
        return [dir_out / label / f"{step}-{j}.jpg" for j in range(IMAGES_PER_SAMPLE)]
    return [dir_out / f"{step}-{var}-{j}.jpg" for j in range(IMAGES_PER_SAMPLE)]


def class_path(dir_out: Path, index: int, var: int) -> Path:
    return dir_out / f"{index}-{var}.npz"


def finished_steps(dir_out: Path, img: bool, gen_param: bool) -> set[int]:
    """Steps whose outputs are all on disk (complete files only ever appear by rename)."""
    if gen_param:
        pattern, files = re.compile(r"(\d+)-\d+\.npz"), dir_out.glob("*.npz")
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

