"""generate_synthetic.py end to end at small sizes, and every bad input (exit 2, nothing written)."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from generate_helpers import ROOT, files, generate
from src.synthetic.video_writer import read_video, write_video

SMALL = ["--res", "32", "--res_b", "32", "--bs_point", "16", "--iter", "150", "--iter_b", "100", "--iter_skip", "20"]


def test_video_round_trip(tmp_path):
    frames = np.zeros((19, 32, 48), np.uint8)
    frames[:, 8:24, 10:30] = np.linspace(40, 250, 19)[:, None, None]
    write_video(tmp_path / "v.mp4", frames, fps=12)
    back = read_video(tmp_path / "v.mp4")
    assert back.shape == (19, 32, 48, 3)
    assert np.abs(back[..., 0].astype(int) - frames).mean() < 3
    write_video(tmp_path / "c.mp4", frames, fps=12, lib="cv2")
    assert read_video(tmp_path / "c.mp4").shape[0] == 19


@pytest.mark.slow
def test_unlabelled_videos_with_preview(tmp_path):
    out = tmp_path / "out"
    done = generate("--samples", 3, "--dir_out", out, "--workers", 1, "--preview", *SMALL)
    videos = sorted(out.glob("*.mp4"))
    assert [v.name.split("-")[0] for v in videos] == ["1", "2", "3"]  # <step>-<var>.mp4
    for v in videos:
        frames = read_video(v)
        assert 18 <= len(frames) <= 20 and frames.shape[1:3] == (32, 32)
    assert (out / "preview.png").stat().st_size > 0
    assert "Created 3/3 samples." in done.stdout


def test_redirected_progress_is_a_few_plain_lines(tmp_path):
    done = generate("--samples", 40, "--dir_out", tmp_path, "--workers", 1, *SMALL)  # stderr is a pipe here
    bar_lines = [line for line in done.stderr.splitlines() if "sample" in line]
    assert "\r" not in done.stderr and 1 <= len(bar_lines) <= 12, done.stderr
    assert "40/40" in bar_lines[-1] and "rejected" in bar_lines[-1]


@pytest.mark.slow
def test_workers_do_not_change_the_output(tmp_path):
    generate("--samples", 4, "--dir_out", tmp_path / "a", "--workers", 1, *SMALL)
    generate("--samples", 4, "--dir_out", tmp_path / "b", "--workers", 2, *SMALL)
    assert files(tmp_path / "a") == files(tmp_path / "b")


@pytest.mark.slow
def test_labelled_generation_round_robins_classes(tmp_path):
    params, out = tmp_path / "params", tmp_path / "out"
    generate("--gen_param", 2, "--dir_out", params, *SMALL)
    classes = sorted(p.stem for p in params.glob("*.npz"))
    assert [c.split("-")[0] for c in classes] == ["1", "2"]  # <k>-<var>.npz
    generate("--samples", 4, "--dir_in", params, "--dir_out", out, "--workers", 2, *SMALL)
    per_class = {c: sorted(p.name for p in (out / c).glob("*.mp4")) for c in classes}
    assert sorted(sum(per_class.values(), [])) == ["1.mp4", "2.mp4", "3.mp4", "4.mp4"]
    assert all(len(v) == 2 for v in per_class.values())
    steps = {c: sorted(int(n.split(".")[0]) % 2 for n in names) for c, names in per_class.items()}
    assert all(len(set(s)) == 1 for s in steps.values())  # a class gets every other step


@pytest.mark.slow
def test_image_mode_writes_sixteen_images_per_set(tmp_path):
    generate("--img", "--samples", 20, "--dir_out", tmp_path, *SMALL)
    images = sorted(tmp_path.glob("*.jpg"))
    assert len(images) == 32  # 20 requested → 2 sets of 16 (spec quirk kept: n counts whole sets)
    assert {p.name.split("-")[0] for p in images} == {"1", "2"}


@pytest.mark.slow
def test_time_budget_stops_the_run(tmp_path):
    start = time.time()
    generate("--time", "3s", "--dir_out", tmp_path, "--workers", 1, *SMALL)
    assert time.time() - start < 60
    assert len(list(tmp_path.glob("*.mp4"))) >= 1


@pytest.mark.slow
def test_resume_after_kill_keeps_complete_files(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "generate_synthetic.py"), "--type", "fractal", "--samples", "40",
           "--dir_out", str(out), "--workers", "1", *SMALL]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while len(list(out.glob("*.mp4"))) < 3 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = files(out)
    assert 3 <= len(before) < 40
    generate("--samples", 40, "--dir_out", out, "--workers", 2, *SMALL)
    after = files(out)
    assert len(after) == 40 and not [n for n in after if n.startswith(".")]
    assert all(after[name] == data for name, data in before.items() if not name.startswith("."))
    generate("--samples", 40, "--dir_out", tmp_path / "fresh", "--workers", 2, *SMALL)
    assert files(tmp_path / "fresh") == after


BAD = [
    (["--samples", "0"], "must be > 0"),
    (["--samples", "-3"], "must be > 0"),
    (["--time", "2x"], "invalid time"),
    (["--time", "70m"], "minutes must be < 60"),
    (["--res", "0", "--samples", "1"], "must be > 0"),
    (["--thres_b", "-1", "--samples", "1"], "must be > 0"),
    (["--thres_b", "1.5", "--samples", "1"], "--thres_b"),
    (["--var", "3", "99", "--samples", "1"], "unknown ids [99]"),
    (["--var", "4", "4", "--samples", "1"], "duplicates"),
    (["--var", "-1", "4", "--samples", "1"], "must be given alone"),
    (["--iter", "100", "--iter_skip", "100", "--samples", "1"], "must exceed --iter_skip"),
    (["--iter_b", "50", "--iter_skip", "60", "--samples", "1"], "must exceed --iter_skip"),
    (["--res", "33", "--samples", "1"], "odd"),
    ([], "nothing to do"),
]


@pytest.mark.parametrize("extra,message", BAD)
def test_bad_input_exits_2_with_one_line(tmp_path, extra, message):
    done = generate("--dir_out", tmp_path / "out", *extra, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert not (tmp_path / "out").exists()


def test_dir_in_problems_exit_2(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = generate("--dir_in", empty, "--dir_out", tmp_path / "o", "--samples", "1", check=False)
    assert done.returncode == 2 and "no class files" in done.stderr
    done = generate("--dir_in", empty, "--gen_param", 3, "--dir_out", tmp_path / "o", check=False)
    assert done.returncode == 2 and "exclude each other" in done.stderr
    (empty / "7-0.npz").write_bytes(b"garbage")
    done = generate("--dir_in", empty, "--dir_out", tmp_path / "o", "--samples", 1, *SMALL, check=False)
    assert done.returncode == 2 and "7-0.npz" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not list((tmp_path / "o").rglob("*.mp4"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_dir_out(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    done = generate("--dir_out", locked / "x", "--samples", 1, check=False)
    assert done.returncode == 2 and "not writable" in done.stderr


def test_dir_out_under_a_file_is_unwritable(tmp_path):
    (tmp_path / "file").write_text("x")
    done = generate("--dir_out", tmp_path / "file" / "sub", "--samples", 1, check=False)
    assert done.returncode == 2 and "not writable" in done.stderr


@pytest.mark.slow
def test_shards_together_write_exactly_the_single_machine_run(tmp_path):
    """--shard K/N writes the steps ≡ K mod N; the union of the three shards is byte-identical to one run, and a
    shard resumes like any run."""
    generate("--samples", 7, "--dir_out", tmp_path / "one", "--workers", 1, *SMALL)
    for k, steps in ((0, [3, 6]), (1, [1, 4, 7]), (2, [2, 5])):
        generate("--samples", 7, "--dir_out", tmp_path / f"shard{k}", "--workers", 1, "--shard", f"{k}/3", *SMALL)
        assert sorted(int(p.name.split("-")[0]) for p in (tmp_path / f"shard{k}").glob("*.mp4")) == steps
        generate("--samples", 7, "--dir_out", tmp_path / "many", "--workers", 1, "--shard", f"{k}/3", *SMALL)
    assert files(tmp_path / "many") == files(tmp_path / "one")
    sorted((tmp_path / "many").glob("*.mp4"))[0].unlink()
    generate("--samples", 7, "--dir_out", tmp_path / "many", "--workers", 1, "--shard", "0/3", *SMALL)
    generate("--samples", 7, "--dir_out", tmp_path / "many", "--workers", 1, "--shard", "1/3", *SMALL)
    generate("--samples", 7, "--dir_out", tmp_path / "many", "--workers", 1, "--shard", "2/3", *SMALL)
    assert files(tmp_path / "many") == files(tmp_path / "one")


def test_a_slurm_array_task_picks_its_shard(tmp_path):
    env = {**os.environ, "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"}
    generate("--samples", 4, "--dir_out", tmp_path, "--workers", 1, *SMALL, env=env)
    assert sorted(int(p.name.split("-")[0]) for p in tmp_path.glob("*.mp4")) == [1, 3]
    done = generate("--samples", 4, "--dir_out", tmp_path / "x", "--shard", "2/2", check=False)
    assert done.returncode == 2 and "--shard: expected K/N with 0 <= K < N" in done.stderr


def test_files_keep_the_users_umask(tmp_path):
    """Videos and class files come out readable by the group and others under umask 022, like any other file."""
    env = dict(os.environ)
    old = os.umask(0o022)
    try:
        generate("--samples", 1, "--dir_out", tmp_path / "v", "--workers", 1, *SMALL, env=env)
        generate("--gen_param", 1, "--dir_out", tmp_path / "c", "--workers", 1, *SMALL, env=env)
    finally:
        os.umask(old)
    made = [*(tmp_path / "v").glob("*.mp4"), *(tmp_path / "c").glob("*.npz")]
    assert made and all(p.stat().st_mode & 0o777 == 0o644 for p in made)
