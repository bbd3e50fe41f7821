"""HMDB51, split 1 (docs/datasets.md): a RAR of 51 class RARs plus the official split files."""
from pathlib import Path

from .workspace import PrepareError, Source, Workspace

VIDEOS = Source.http("http://serre-lab.clps.brown.edu/wp-content/uploads/2013/10/hmdb51_org.rar", verify_tls=False)
SPLITS = Source.http("http://serre-lab.clps.brown.edu/wp-content/uploads/2013/10/test_train_splits.rar",
                     verify_tls=False)
EXTENSION = "avi"
TARGET = {"1": "train", "2": "val"}  # 0: unused in split 1


def _classes(videos: Path) -> dict[str, Path]:
    """Class name → its class RAR, or its folder when the user's --source has the RARs extracted already."""
    rars = sorted(videos.rglob("*.rar"))
    if rars:
        return {p.stem: p for p in rars}
    return {p.name: p for p in sorted(videos.iterdir()) if p.is_dir()}


def prepare(ws: Workspace) -> None:
    videos, splits = ws.contents(VIDEOS), ws.contents(SPLITS)
    classes = _classes(videos)
    rows = {"train": [], "val": []}
    for index, (name, entry) in enumerate(classes.items()):
        folder = ws.unpack(entry) if entry.suffix == ".rar" else entry
        by_name = {p.name: p for p in folder.rglob(f"*.{EXTENSION}")}
        split_file = next(splits.rglob(f"{name}_test_split1.txt"), None)
        if split_file is None:
            raise PrepareError(f"{name}_test_split1.txt is missing from {SPLITS.name}")
        for line in split_file.read_text().split("\n"):
            parts = line.split()
            if len(parts) == 2 and parts[1] in TARGET and parts[0] in by_name:
                relative = Path(TARGET[parts[1]]) / name / parts[0]
                ws.place(by_name[parts[0]], relative)
                rows[TARGET[parts[1]]].append(f"{relative.as_posix()} {index}")
    for split, lines in rows.items():
        ws.out.mkdir(parents=True, exist_ok=True)
        (ws.out / f"{split}.csv").write_text("\n".join(lines) + "\n")
