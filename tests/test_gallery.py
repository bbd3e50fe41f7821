"""The README's pictures come from the tool's own output and are the same every time they are made."""
from assets.make_gallery import augmentations_gif, classes_gif


def test_gallery_pictures_are_deterministic(tmp_path):
    for make in (classes_gif, augmentations_gif):
        (tmp_path / "a").mkdir(exist_ok=True)
        (tmp_path / "b").mkdir(exist_ok=True)
        first, second = make(tmp_path / "a"), make(tmp_path / "b")
        assert first.read_bytes() == second.read_bytes() and 10_000 < first.stat().st_size < 1_000_000
