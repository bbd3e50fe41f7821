"""generate_synthetic.py with --type perlin, octopus and dead_leaves: outputs, labels, determinism, bad input."""
import numpy as np
import pytest

from generate_helpers import files, generate
from src.synthetic.video_writer import read_video

RGB_TYPES = ["octopus", "dead_leaves"]


@pytest.mark.slow
def test_perlin_videos_are_labelled_by_frequency(tmp_path):
    done = generate("--samples", 3, "--res", 32, "--dir_out", tmp_path, "--workers", 2, "--preview", kind="perlin")
    videos = sorted(tmp_path.rglob("*.mp4"))
    assert sorted(v.name for v in videos) == ["1.mp4", "2.mp4", "3.mp4"]
    for v in videos:
        f_rows, f_cols, one = v.parent.name.split("-")  # <dir_out>/<f_h>-<f_w>-1/<step>.mp4
        assert int(f_rows) in range(1, 241) and int(f_cols) in range(1, 241) and one == "1"
        frames = read_video(v)
        assert 18 <= len(frames) <= 20 and frames.shape[1:3] == (32, 32)
        assert np.abs(frames[..., 0].astype(int) - frames[..., 2]).max() <= 2  # gray
    assert (tmp_path / "preview.png").exists() and "Created 3/3 samples." in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("kind", RGB_TYPES)
def test_unlabelled_rgb_videos_are_deterministic(tmp_path, kind):
    generate("--samples", 3, "--res", 48, "--dir_out", tmp_path / "a", "--workers", 2, kind=kind)
    generate("--samples", 3, "--res", 48, "--dir_out", tmp_path / "b", "--workers", 1, kind=kind)
    out = files(tmp_path / "a")
    assert sorted(out) == ["1.mp4", "2.mp4", "3.mp4"]  # <dir_out>/<step>.mp4
    assert out == files(tmp_path / "b")
    frames = read_video(tmp_path / "a" / "1.mp4")
    assert frames.shape[1:] == (48, 48, 3) and 18 <= len(frames) <= 20
    colourful = np.abs(frames.astype(int) - frames.mean(axis=-1, keepdims=True)).max()
    assert colourful > 20  # RGB content, not gray


@pytest.mark.slow
@pytest.mark.parametrize("kind", RGB_TYPES)
def test_labelled_rgb_videos_round_robin_classes(tmp_path, kind):
    params, out = tmp_path / "params", tmp_path / "out"
    generate("--gen_param", 2, "--dir_out", params, kind=kind)
    assert sorted(p.name for p in params.glob("*.npz")) == ["1.npz", "2.npz"]  # <dir_out>/<k>.npz
    generate("--samples", 4, "--res", 32, "--dir_in", params, "--dir_out", out, kind=kind)
    per_class = {c: sorted(p.name for p in (out / c).glob("*.mp4")) for c in ("1", "2")}
    assert sorted(sum(per_class.values(), [])) == ["1.mp4", "2.mp4", "3.mp4", "4.mp4"]
    assert all(len(v) == 2 for v in per_class.values())


BAD = [
    ("perlin", ["--gen_param", "3"], "always labelled"),
    ("perlin", ["--dir_in", ".", "--samples", "1"], "always labelled"),
    ("perlin", [], "nothing to do"),
    ("octopus", ["--img", "--samples", "1"], "--img only applies to --type fractal"),
    ("dead_leaves", ["--var", "3", "--samples", "1"], "--var only applies to --type fractal"),
    ("dead_leaves", ["--linear_motion", "--samples", "1"], "--linear_motion only applies"),
    ("octopus", ["--gen_param", "2", "--dir_in", "."], "exclude each other"),
    ("dead_leaves", ["--res", "31", "--samples", "1"], "odd"),
]


@pytest.mark.parametrize("kind,extra,message", BAD)
def test_bad_input_exits_2_with_one_line(tmp_path, kind, extra, message):
    done = generate("--dir_out", tmp_path / "out", *extra, kind=kind, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert not (tmp_path / "out").exists()


def test_class_files_of_another_type_are_refused(tmp_path):
    """Dead-leaves class files hold ``coords`` only; the octopus generator names the first file and stops."""
    params = tmp_path / "params"
    generate("--gen_param", 1, "--dir_out", params, kind="dead_leaves")
    done = generate("--dir_in", params, "--samples", 1, "--dir_out", tmp_path / "out", kind="octopus", check=False)
    assert done.returncode == 2 and "1.npz lacks n_limbs" in done.stderr
    assert not (tmp_path / "out").exists()
