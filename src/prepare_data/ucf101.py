"""UCF101, split 1 (docs/datasets.md): one flat folder of videos plus the official split lists."""
from .workspace import PrepareError, Source, Workspace

VIDEOS = Source.http("http://storage.googleapis.com/thumos14_files/UCF101_videos.zip")
SPLITS = Source.http("https://www.crcv.ucf.edu/data/UCF101/UCF101TrainTestSplits-RecognitionTask.zip")
EXTENSION = "avi"
LISTS = {"train": "trainlist01.txt", "val": "testlist01.txt"}


def fix_name(file_name: str) -> str:
    """The lists say HandStandPushups where the files say HandstandPushups (second ``_`` token)."""
    parts = file_name.split("_")
    if len(parts) > 1 and parts[1] == "HandStandPushups":
        parts[1] = "HandstandPushups"
    return "_".join(parts)


def prepare(ws: Workspace) -> None:
    videos, splits = ws.contents(VIDEOS), ws.contents(SPLITS)
    by_name = {p.name: p for p in videos.rglob(f"*.{EXTENSION}")}
    for split, list_name in LISTS.items():
        listing = next(splits.rglob(list_name), None)
        if listing is None:
            raise PrepareError(f"{list_name} is missing from the UCF101 split archive {SPLITS.name}")
        for line in listing.read_text().split("\n"):
            if not line.strip():
                continue
            class_name, file_name = line.split()[0].split("/")
            name = fix_name(file_name)
            if name in by_name:
                ws.place(by_name[name], f"{split}/{class_name}/{name}")
