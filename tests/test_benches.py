"""Every benchmark the README names runs and prints its figure, at a tiny size (the figures are not checked:
tests check behaviour, never timings)."""
import re

import pytest

import zygote
from generate_helpers import generate

FIGURE = re.compile(r"\d[\d.]* (videos|clips)/s")


def bench(module: str, *args) -> str:
    done = zygote.run(["-m", f"bench.{module}", *args])
    assert done.returncode == 0, f"bench.{module} failed:\n{done.stderr[-2000:]}"
    return done.stdout


@pytest.mark.slow
def test_bench_generate_prints_videos_per_second_for_every_type():
    out = bench("bench_generate", "--videos", 2, "--workers", 1, "--codec", "libx264", "--preset", "ultrafast")
    for kind in ("fractal", "perlin", "octopus", "dead_leaves"):
        assert re.search(rf"{kind} .*CLI end to end.*videos/s", out), out


@pytest.mark.slow
def test_bench_data_generates_videos_and_reads_them_through_the_loader():
    out = bench("bench_data", "--videos", 4, "--codec", "libx264", "--epochs", 1, "--batch", 2, "--workers", 1)
    assert FIGURE.search(out) and "decode" in out


@pytest.mark.slow
def test_bench_train_on_random_clips_files_and_rendered_fractals(tmp_path):
    tiny = ["--base", "resnet18", "--batch", 2, "--size", 32, "--frames", 4, "--steps", 2]
    assert FIGURE.search(bench("bench_train", *tiny))
    assert FIGURE.search(bench("bench_train", *tiny, "--data", "fractal", "--workers", 1, "--threads", "budget"))


@pytest.mark.slow
def test_bench_online_renders_clips_with_the_torch_renderer():
    """The numba renderer in loader workers is bench_train's --data fractal above."""
    assert FIGURE.search(bench("bench_online", "--device", "triton-cpu", "--workers", 1, "--batch", 2, "--batches", 2,
                               "--size", 32, "--classes", 2))


@pytest.mark.slow
def test_bench_models_prints_the_model_table():
    out = bench("bench_models", "--arches", "r3d_18", "--batch", 1, "--steps", 1)
    assert re.search(r"\| r3d_18 \| 8 × 112 px \| 33.4 M \| [\d.]+ \| [\d.]+ \|", out), out


@pytest.mark.slow
def test_bench_codec_motion_and_statistics_on_generated_videos(tmp_path):
    assert "x264" in bench("bench_codec", "--videos", 2)
    generate("--samples", 4, "--res", 32, "--iter", 400, "--iter_b", 300, "--dir_out", tmp_path / "fractal",
             "--workers", 1)
    assert "jump share" in bench("bench_motion", tmp_path / "fractal", "--limit", 4)
    out = bench("bench_statistics", "--dir", tmp_path, "--videos", 3, "--res", 32, "--workers", 1)
    for kind in ("fractal", "perlin", "octopus", "dead_leaves"):
        assert re.search(rf"{kind} +\d+ videos: diff [\d.]+ ± [\d.]+, jump share", out), out
    assert re.search(r"crossings per cell over \d+ classes: median [\d.]+", out), out


@pytest.mark.slow
def test_bench_probe_prints_encoding_and_probe_costs():
    out = bench("bench_probe", "--base", "resnet18", "--size", 32, "--frames", 4, "--batch", 4, "--batches", 1,
                "--videos", 60, 20, "--classes", 3)
    assert FIGURE.search(out) and re.search(r"k-NN [\d.]+ s, linear [\d.]+ s", out), out


@pytest.mark.slow
def test_bench_render_prints_ns_per_splat_for_every_group():
    out = bench("bench_render", "--videos", 1)
    for group in ("default mixture", "affine", "trigonometric", "random-drawing"):
        assert len(re.findall(rf"{group} +\d+\.\d\d$", out, re.M)) == 2, out  # files and on the fly
