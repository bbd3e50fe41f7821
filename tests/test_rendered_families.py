"""Every synthetic family renders on the fly (DATA.SOURCE perlin, octopus, dead_leaves, as fractal does): a clip
is exactly those frames of the video the file generator draws from the same random stream, its statistics are
those of generate_synthetic.py's files, and both training scripts run on each."""
import numpy as np
import pytest

from bench.bench_statistics import figures, file_videos, rendered_videos, through_the_writer
from generate_helpers import generate
from src.data.families import SOURCES, classes_for
from src.synthetic.generator import Settings
from src.synthetic.registry import get_generator
from train_helpers import run_in_process

FAMILIES = ("fractal", "perlin", "octopus", "dead_leaves")
SMALL = Settings(res=40, bs_point=32, iters=600, iter_b=300, iter_skip=50, res_b=32)


@pytest.fixture(scope="module")
def class_dirs(tmp_path_factory):
    """Three class files of each family that has them."""
    folders = {}
    for kind in ("fractal", "octopus", "dead_leaves"):
        folders[kind] = tmp_path_factory.mktemp(f"{kind}-classes")
        generate("--gen_param", 3, "--dir_out", folders[kind], kind=kind)
    return folders


@pytest.mark.parametrize("kind", ["perlin", "octopus", "dead_leaves"])  # fractals: tests/test_online.py
@pytest.mark.parametrize("labelled", [True, False])
def test_a_clip_is_those_frames_of_the_generators_video(class_dirs, kind, labelled):
    classes, _, _ = classes_for(kind, str(class_dirs.get(kind, "")) or None, labelled)
    source = SOURCES[kind](6, SMALL, classes, seed=2)
    generator = get_generator(kind)
    for i in range(3):
        rng, drawn = np.random.default_rng(i), []
        pick = lambda n: drawn.append(np.stack([rng.integers(0, n - 4) + np.arange(4), rng.permutation(n)[:4]])) \
            or drawn[0]  # two views, drawn from the item's stream as the clip samplers draw them
        clip = source.frames(i, pick, rng).numpy()  # [3, 2, 4, H, W]
        again = np.random.default_rng(i)
        params = source.params(i, again)
        video = generator.render(SMALL, again.spawn(1)[0], params).frames  # the whole video, from its own stream
        if kind in ("octopus", "dead_leaves"):
            video = np.moveaxis(video, -1, 0)  # [3, F, H, W]
        else:
            video = np.broadcast_to(video, (3, *video.shape))  # gray
        assert np.array_equal(clip, video[:, drawn[0]]), (kind, i)
    if labelled:
        assert source.labels == [i % len(classes) for i in range(6)]  # round robin: balanced epochs


@pytest.mark.parametrize("kind", FAMILIES)
def test_rendered_clips_have_the_statistics_of_the_generators_files(tmp_path, kind):
    """30 videos a side at 40 px (the README's table: 200 at the default sizes); rendered clips go through the
    generator's writer too, so the codec's artefacts are on both sides."""
    n, res = 30, 40
    generate("--samples", n, "--res", res, "--dir_out", tmp_path / "files", "--workers", 2, kind=kind)
    files = figures(file_videos(tmp_path / "files", n), kind)
    rendered = figures(through_the_writer(rendered_videos(kind, n, res), tmp_path / "rendered"), kind)
    for name, a, b in (("diff", files["motion"][:, 0], rendered["motion"][:, 0]),
                       ("jump share", files["motion"][:, 1], rendered["motion"][:, 1]),
                       ("lit", files["covered"], rendered["covered"])):
        se = np.hypot(a.std(ddof=1) / np.sqrt(len(a)), b.std(ddof=1) / np.sqrt(len(b)))
        assert abs(a.mean() - b.mean()) <= 4 * se + 1e-3, (kind, name, a.mean(), b.mean(), se)
    if kind == "perlin":  # the noise crosses mid-gray as often per lattice cell
        def per_cell(cells):
            return np.median([np.mean(v, axis=0) / list(map(int, c.split("-")[:2])) for c, v in cells.items()])
        assert 0.8 < per_cell(files["cells"]) / per_cell(rendered["cells"]) < 1.25


TINY = ["DATA.IMG_SIZE", 32, "DATA.CLIP_LENGTH", 4, "DATA.STRIDE", 2, "DATA.BATCH_SIZE", 4, "DATA.TORCH_N_WORKERS", 0,
        "DATA.SAMPLES_PER_EPOCH", 8, "MODEL.TSM_BASE", "resnet18", "TRAIN.EPOCHS", 1, "TRAIN.EPOCHS_WARMUP", 0]


@pytest.mark.parametrize("kind", ["perlin", "octopus", "dead_leaves"])
def test_both_training_scripts_run_on_rendered_clips(class_dirs, tmp_path, kind):
    labels = [] if kind == "perlin" else ["DATA.CLASS_PARAMS", class_dirs[kind]]
    done = run_in_process("train_sup.py", "DATA.SOURCE", kind, *labels, *TINY, "DATA.VAL_SAMPLES", 4,
                          "DATA.VAL_MAX_SEGS", 1, "TRAIN.OUTPUT", tmp_path / "sup")
    assert done.returncode == 0, done.stderr[-2000:]
    log = (tmp_path / "sup" / "log_rank0.txt").read_text()
    assert f"classes from {'Perlin noise, 256 frequency' if kind == 'perlin' else kind + ' classes in'}" in log
    done = run_in_process("train_ssl.py", "DATA.SOURCE", kind, *TINY, "MOCO.K", 8, "TRAIN.OUTPUT", tmp_path / "ssl")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rendered at 36 px" in (tmp_path / "ssl" / "log_rank0.txt").read_text()


@pytest.mark.parametrize("opts,message", [
    (["DATA.SOURCE", "plasma"], "DATA.SOURCE 'plasma' is not one of files, fractal, perlin, octopus, dead_leaves"),
    (["DATA.SOURCE", "octopus", "DATA.CLASS_PARAMS", "{fractal}"],
     "is a fractal class file; DATA.SOURCE octopus needs octopus class files"),
    (["DATA.SOURCE", "perlin", "DATA.CLASS_PARAMS", "{fractal}"], "DATA.CLASS_PARAMS is set but this run does not read "
                                                             "it: only a DATA.SOURCE with class files"),
    (["DATA.SOURCE", "dead_leaves", "DATA.RENDER_SPLATS", 1000], "DATA.RENDER_SPLATS is set but this run does not "
                                                                  "read it: only DATA.SOURCE fractal does"),
    (["DATA.SOURCE", "octopus"], "DATA.SOURCE octopus with labels needs DATA.CLASS_PARAMS"),
])
def test_bad_source_settings_exit_2_with_one_line_before_writing(class_dirs, tmp_path, opts, message):
    opts = [str(o).format(fractal=class_dirs["fractal"]) for o in opts]
    done = run_in_process("train_sup.py", *opts, "TRAIN.OUTPUT", tmp_path / "out")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], done.stderr[-1000:]
    assert not (tmp_path / "out").exists()


def test_a_fixed_pool_of_instances_repeats_each_video_and_varies_the_clip(class_dirs):
    classes, _, _ = classes_for("octopus", str(class_dirs["octopus"]), labelled=True)
    source = SOURCES["octopus"](12, SMALL, classes, seed=1, instances=2)  # 3 classes x 2 instances, cycled
    whole = lambda n: np.arange(n)
    videos = [source.frames(i, whole, np.random.default_rng(100 + i)).numpy() for i in range(12)]
    for i in range(6):
        assert np.array_equal(videos[i], videos[i + 6])  # the same instance, whatever the item's stream
        assert all(not np.array_equal(videos[i], videos[j]) for j in range(6) if j != i)
    assert [source.labels[i] for i in range(6)] == [0, 1, 2, 0, 1, 2]
    start = lambda rng: (lambda n: rng.integers(0, n - 4) + np.arange(4))  # what the clip sampler draws
    a, b = (source.frames(0, start(np.random.default_rng(s)), np.random.default_rng(s)).numpy() for s in (1, 2))
    assert not np.array_equal(a, b)  # another start in the same video


def test_fractal_knobs_of_the_file_generator_reach_the_source(class_dirs):
    from cfg.defaults import defaults
    from src.synthetic.fractal_params import params_weights
    from src.train.contrastive import contrastive_pairs
    cfg = defaults()
    cfg.DATA.SOURCE, cfg.DATA.IMG_SIZE, cfg.DATA.RENDER_VAR, cfg.DATA.LINEAR_MOTION = "fractal", 32, [3], True
    source = contrastive_pairs(cfg)[0].source
    assert source.settings.var == (3,) and source.settings.linear_motion
    weights, var = source.generator.draw(source.settings, np.random.default_rng(0), None)
    params = source.generator._sample(source.settings, np.random.default_rng(0))
    assert var == 3 and np.array_equal(weights, params_weights(params, linear_motion=True))
    assert not np.array_equal(weights, params_weights(params, linear_motion=False))


@pytest.mark.parametrize("script,opts,message", [
    ("train_ssl.py", ["DATA.SOURCE", "fractal", "DATA.RENDER_VAR", "[99]"], "DATA.RENDER_VAR unknown ids [99]"),
    ("train_ssl.py", ["DATA.SOURCE", "fractal", "DATA.INSTANCES", 100], "DATA.INSTANCES is set but this run does "
                                                                        "not read it"),
    ("train_sup.py", ["DATA.SOURCE", "perlin", "DATA.LINEAR_MOTION", True], "DATA.LINEAR_MOTION is set but this run "
                                                                            "does not read it"),
    ("train_sup.py", ["DATA.SOURCE", "perlin", "DATA.INSTANCES", -1], "DATA.INSTANCES -1 is out of range"),
])
def test_bad_recipe_knobs_exit_2_with_one_line(tmp_path, script, opts, message):
    done = run_in_process(script, *opts, "TRAIN.OUTPUT", tmp_path / "out")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and message in errors[0], done.stderr[-1000:]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind,params,message", [
    ("dead_leaves", {"coords": np.zeros((0, 5, 2))}, "coords must be finite numbers [frames >= 2, polygons >= 1, 2]"),
    ("dead_leaves", {"coords": np.zeros((19, 0, 2))}, "coords must be finite numbers"),
    ("octopus", {"n_limbs": np.array([3, 4]), "profile_values": np.zeros((12, 5)), "profile_knots": np.full(12, 3),
                 "interp": np.zeros((19, 3))}, "octopus parameters must be numbers (n_limbs one integer)"),
    ("octopus", {"n_limbs": np.array("three"), "profile_values": np.zeros((12, 5)), "profile_knots": np.full(12, 3),
                 "interp": np.zeros((19, 3))}, "octopus parameters must be numbers"),
])
def test_a_class_file_that_cannot_draw_is_refused_when_the_classes_load(tmp_path, kind, params, message):
    from src.synthetic.class_files import save_class
    save_class(tmp_path / "0.npz", params)
    with pytest.raises(Exception) as e:  # DatasetError: one line, before any clip
        classes_for(kind, str(tmp_path), labelled=True)
    assert type(e.value).__name__ == "DatasetError" and message in str(e.value)


def test_frames_outside_the_video_are_an_error_not_extrapolated():
    source = SOURCES["perlin"](2, SMALL, *classes_for("perlin", None, True)[:1])
    for bad in (lambda n: np.array([n]), lambda n: np.array([-1]), lambda n: np.array([1.5])):
        with pytest.raises(ValueError, match="frame indices must be integers in"):
            source.frames(0, bad, np.random.default_rng(0))
