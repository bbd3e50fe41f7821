"""Datasets from ``ROOT/DATASET/{train,val}/<class>/`` folders, with cached frame counts (docs/datasets.md)."""
import sys
from pathlib import Path

from .datasets import ClipSpec, ContrastivePairs, TrainClips, ValidationClips
from .frame_index import UNREADABLE, frame_counts
from .sources import VideoFiles
from .video_files import DatasetError, labelled_split, near_datasets, require_videos


def _hint(folder: Path) -> str:
    """What to do about a missing dataset folder: the near names that exist under its root, else how to make it."""
    root = folder.parent
    present, close = near_datasets(root, folder.name)
    if close:
        return f"did you mean {' or '.join(close)}? (datasets under {root}: {', '.join(present[:8])})"
    return (f"prepare it with: python prepare_data.py --dataset {folder.name} --root {root} (a published set), or "
            f"--from <your videos> for one of your own")


def _readable(root: Path, files: list[Path], labels: list[int] | None, workers: int | None) -> VideoFiles:
    """The videos that can be decoded (the others are listed once on stderr), with their frame counts."""
    counts = frame_counts(root, files, workers)
    bad = [f for f, n in zip(files, counts) if n == UNREADABLE]
    if bad:
        print(f"warning: {len(bad)} unreadable video(s) skipped, e.g. {', '.join(map(str, bad[:3]))}", file=sys.stderr)
    keep = [i for i, n in enumerate(counts) if n != UNREADABLE]
    if not keep:
        raise DatasetError(f"no readable video under {root}; the files are not videos OpenCV/ffmpeg can decode")
    return VideoFiles([files[i] for i in keep], [counts[i] for i in keep],
                      None if labels is None else [labels[i] for i in keep])


def labelled_sets(folder: Path, extension: str, spec: ClipSpec, train_transform, val_transform,
                  workers: int | None = None, extension_key: str = "DATA.EXTENSION",
                  ) -> tuple[TrainClips, ValidationClips, dict[str, int]]:
    """Training clips of ``folder/train`` and validation segments of ``folder/val``, sharing the class indices;
    ``extension_key`` is the key that sets ``extension``, for the error that finds none."""
    hint = _hint(folder)
    train_files, train_labels, classes = labelled_split(folder, "train", extension, hint=hint,
                                                        extension_key=extension_key)
    val_files, val_labels, _ = labelled_split(folder, "val", extension, classes, hint=hint,
                                              extension_key=extension_key)
    train = TrainClips(_readable(folder, train_files, train_labels, workers), spec, train_transform)
    val = ValidationClips(_readable(folder, val_files, val_labels, workers), spec, val_transform)
    return train, val, classes


def unlabelled_set(folder: Path, extension: str, spec: ClipSpec, transform,
                   workers: int | None = None) -> ContrastivePairs:
    """Contrastive pairs of every video anywhere below ``folder`` (labels: index in the sorted file list)."""
    files = require_videos(folder, extension, _hint(folder))
    return ContrastivePairs(_readable(folder, files, None, workers), spec, transform)
