"""Datasets and loaders over ROOT/DATASET/{train,val}/<class>/ folders (docs/datasets.md)."""
import numpy as np
import pytest
import torch

from src.data.dataset_folders import labelled_sets, unlabelled_set
from src.data.datasets import ClipSpec
from src.data.loaders import make_loader
from src.data.video_files import DatasetError, list_videos
from src.transform.crops import MEAN, STD, TrainCrop, ValResizeCrop
from video_fixtures import ramp_frames, write

SPEC = ClipSpec(clip_length=4, stride=2, val_min_steps=2, val_max_segs=3)


@pytest.fixture
def dataset(tmp_path):
    """Two classes; one gray video, one short video, avi and mp4 mixed."""
    root = tmp_path / "toy"
    write(root / "train" / "b" / "1.mp4", ramp_frames(12), "h264")
    write(root / "train" / "b" / "2.mp4", ramp_frames(4), "h264")  # shorter than one clip (span 7)
    write(root / "train" / "a" / "3.mp4", ramp_frames(12, gray=True), "hevc")
    write(root / "train" / "a" / "sub" / "4.mp4", ramp_frames(9), "h264")  # class = parent folder "sub"
    write(root / "val" / "a" / "5.mp4", ramp_frames(12), "h264")
    write(root / "val" / "b" / "6.mp4", ramp_frames(5), "h264")
    (root / "train" / "b" / "notes.txt").write_text("ignored: other extension")
    return root


def test_files_are_found_recursively_and_sorted(dataset):
    names = [p.relative_to(dataset).as_posix() for p in list_videos(dataset, "mp4")]
    assert names == sorted(names) and len(names) == 6


def test_class_indices_come_from_sorted_training_class_names(dataset):
    train, val, classes = labelled_sets(dataset, "mp4", SPEC, TrainCrop(16, 0.5), ValResizeCrop(16), workers=1)
    assert classes == {"a": 0, "b": 1, "sub": 2}
    assert dict(zip([f.name for f in train.source.files], train.labels)) == {"3.mp4": 0, "4.mp4": 2, "1.mp4": 1, "2.mp4": 1}
    assert train.short_videos() == 1


def test_training_batches(dataset):
    train, _, _ = labelled_sets(dataset, "mp4", SPEC, TrainCrop(16, 0.5), ValResizeCrop(16), workers=1)
    batches = make_loader(train, batch_size=2, workers=2, shuffle=True, seed=0)
    seen = 0
    for clips, labels in batches:
        assert clips.shape[1:] == (3, 4, 16, 16) and clips.dtype == torch.float32
        assert 0 <= clips.min() and clips.max() <= 1 and labels.dtype == torch.int64
        seen += len(clips)
    assert seen == 4 and batches.skipped == 0


def test_same_seed_same_clips(dataset):
    train, _, _ = labelled_sets(dataset, "mp4", SPEC, TrainCrop(16, 0.5), ValResizeCrop(16), workers=1)
    runs = [[c for c, _ in make_loader(train, 4, workers=1, shuffle=True, seed=3)] for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(*runs))


def test_validation_gives_every_segment_with_its_video_id(dataset):
    _, val, _ = labelled_sets(dataset, "mp4", SPEC, TrainCrop(16, 0.5), ValResizeCrop(16, crop_val=False),
                              workers=1)
    clips, labels, ids = next(iter(make_loader(val, batch_size=2, workers=0, shuffle=False, concatenate=True)))
    # 12 frames, span 7, m = 2 → k = floor(5/2) + 1 = 3 segments; 5 frames → one padded segment
    assert clips.shape == (4, 3, 4, 16, 16)
    assert ids.tolist() == [0, 0, 0, 1] and labels.tolist() == [0, 0, 0, 1]
    pixel = clips[:, :, :, 8, 8] * torch.tensor(STD)[:, None] + torch.tensor(MEAN)[:, None]  # undo normalisation
    index = torch.round((pixel[:, 0] * 255 - 16) / 8).int()  # frame i has brightness 8·i + 16
    assert index.tolist() == [[0, 2, 4, 6], [2, 4, 6, 8], [4, 6, 8, 10], [0, 2, 4, 4]]


def test_contrastive_pairs_of_every_video(dataset):
    pairs = unlabelled_set(dataset, "mp4", SPEC, TrainCrop(16, 0.5), workers=1)
    assert len(pairs) == 6
    views, index = pairs[0]
    assert views.shape == (2, 3, 4, 16, 16) and index == 0


def test_unreadable_videos_are_reported_once_and_skipped(dataset, capsys):
    (dataset / "train" / "a" / "broken.mp4").write_bytes(b"junk")
    train, _, _ = labelled_sets(dataset, "mp4", SPEC, TrainCrop(16, 0.5), ValResizeCrop(16), workers=1)
    assert "1 unreadable video(s) skipped" in capsys.readouterr().err and len(train) == 4
    write(train.source.files[0], ramp_frames(2), "h264")  # the video shrinks after indexing: fails mid-epoch
    batches = make_loader(train, batch_size=4, workers=0, shuffle=False)
    for _ in range(2):
        sizes = [len(c) for c, _ in batches]
        assert sizes == [3]
    assert batches.skipped == 2
    assert capsys.readouterr().err.count("skipping unreadable video") == 1


def test_folder_problems_name_the_folder_and_the_fix(tmp_path, dataset):
    with pytest.raises(DatasetError, match="prepare_data.py --dataset missing"):
        labelled_sets(tmp_path / "missing", "mp4", SPEC, None, None)
    with pytest.raises(DatasetError, match="no \\*.avi videos"):
        labelled_sets(dataset, "avi", SPEC, None, None)
    write(dataset / "val" / "zebra" / "7.mp4", ramp_frames(9), "h264")
    with pytest.raises(DatasetError, match="absent from training: zebra"):
        labelled_sets(dataset, "mp4", SPEC, None, None, workers=1)


def test_gray_training_clip_has_three_equal_channels(dataset):
    train, _, _ = labelled_sets(dataset, "mp4", SPEC, TrainCrop(16, 0.5), ValResizeCrop(16), workers=1)
    i = [f.name for f in train.source.files].index("3.mp4")
    clip, _ = train[i]
    assert clip.shape[0] == 3 and np.allclose(clip[0], clip[2], atol=2 / 255)
