"""Dynamic scenes / YUP++ (docs/datasets.md): 10 % train / 90 % val split 1."""
from .workspace import PrepareError, Source, Workspace

ARCHIVE = Source.http("https://vision.eecs.yorku.ca/WebShare/YUP++.zip")
EXTENSION = "mp4"
SPLIT_FILE = "10_90_randsplit_1.txt"
MOTION = {"static": "camera_stationary", "moving": "camera_moving"}


def prepare(ws: Workspace) -> None:
    folder = ws.contents(ARCHIVE)
    split_file = next(folder.rglob(SPLIT_FILE), None)
    if split_file is None:
        raise PrepareError(f"{SPLIT_FILE} is missing from {ARCHIVE.name}")
    stationary = next(folder.rglob(MOTION["static"]), None)
    if stationary is None:
        raise PrepareError(f"{MOTION['static']}/ is missing from {ARCHIVE.name}")
    base = stationary.parent
    for line in split_file.read_text().split("\n"):
        parts = line.split()
        motion, _, split = parts[1].partition("_") if len(parts) == 2 else ("", "", "")
        if motion not in MOTION:
            continue
        stem = parts[0]
        class_name = stem.split("_")[0]
        video = base / MOTION[motion] / class_name / f"{stem}.{EXTENSION}"
        if video.exists():
            ws.place(video, f"{'train' if split == 'train' else 'val'}/{class_name}/{stem}.{EXTENSION}")
