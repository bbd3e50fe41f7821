"""compare.py --study: each pre-training recipe of a study file is an ordinary train_sup.py/train_ssl.py run in
OUT/pretrain/<name>; its cells start from its last checkpoint, never a partial one. A killed study resumes
without redoing what finished, shards share the work, and a recipe whose pre-training fails stops only its own
cells."""
import csv
import os
import signal
import subprocess
import time

import pytest

import zygote
from generate_helpers import ROOT
from train_helpers import make_dataset, run_in_process

# the tiny pre-training every recipe here runs: 16 rendered clips of 4 frames at 32 px an epoch, through a TSM-R18
PRETRAIN = ["DATA.IMG_SIZE", 32, "DATA.CLIP_LENGTH", 4, "DATA.STRIDE", 2, "DATA.BATCH_SIZE", 4,
            "DATA.TORCH_N_WORKERS", 0, "MODEL.TSM_BASE", "resnet18", "MOCO.K", 16, "TRAIN.EPOCHS_WARMUP", 0]
RENDERED = "DATA.SAMPLES_PER_EPOCH 16"
PROBE = ["DATA.DATASET", "toy", "DATA.EXTENSION", "mp4", "DATA.IMG_SIZE", 32, "DATA.CLIP_LENGTH", 4,
         "DATA.STRIDE", 2, "MODEL.TSM_BASE", "resnet18", "DATA.VAL_MAX_SEGS", 1]


def study_file(folder, recipes: dict[str, str], cfg="cfg/pretrain_ssl/tsm.yaml"):
    """A study of train_ssl.py recipes: name → its opts."""
    lines = ["recipes:"]
    for name, opts in recipes.items():
        lines += [f"  - name: {name}", "    script: train_ssl.py", f"    cfg: {cfg}", f"    opts: {opts}"]
    path = folder / "study.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = make_dataset(tmp_path_factory.mktemp("data"))
    (root / "junk").mkdir()
    (root / "junk" / "a.mp4").write_bytes(b"")  # counts as a video folder, holds nothing that decodes
    return root


def compare_args(study, out, data, *extra, epochs=1, init=("--init", "scratch")):
    return ["--study", study, *init, "--mode", "probe", "--out", out, *extra,
            "--pretrain_opts", *PRETRAIN, "TRAIN.EPOCHS", epochs, "--opts", "DATA.ROOT", data, *PROBE]


def compare_in_process(args):
    at = args.index("--opts")
    return run_in_process("compare.py", *args[at + 1:], args=args[:at])


def table(out):
    with open(out / "compare.csv") as f:
        return {(r["init"], r["figure"]): r for r in csv.DictReader(f)}


def epochs_done(folder):
    with open(folder / "metrics.csv") as f:
        return [int(r["epoch"]) for r in csv.DictReader(f)]


@pytest.mark.slow
def test_a_killed_study_resumes_without_redoing_finished_pretraining_then_probes_from_each_recipe(data, tmp_path):
    import shutil
    shutil.copy(ROOT / "cfg" / "pretrain_ssl" / "tsm.yaml", tmp_path / "mine.yaml")
    study = study_file(tmp_path, {"perlin": f"DATA.SOURCE perlin {RENDERED}",
                                  "leaves": f"DATA.SOURCE dead_leaves {RENDERED}"}, cfg=tmp_path / "mine.yaml")
    out = tmp_path / "study"
    args = [str(a) for a in compare_args(study, out, data, "--seeds", 2, epochs=2)]
    main = subprocess.Popen([zygote.shim_folder() / "python", ROOT / "compare.py", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (out / "pretrain" / "leaves" / "ckpt_epoch_0.pth").exists() and time.time() < deadline:
        time.sleep(0.05)
    main.send_signal(signal.SIGKILL)  # during the second recipe's last epoch
    main.wait()
    assert epochs_done(out / "pretrain" / "perlin") == [0, 1] and epochs_done(out / "pretrain" / "leaves") == [0]
    assert not (out / "scratch").exists()  # no cell ran before its pre-training
    kept = (out / "pretrain" / "perlin" / "ckpt_last.pth").stat().st_mtime_ns

    done = zygote.run([ROOT / "compare.py", *args])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "1/8 pre-training perlin: finished earlier, kept" in done.stdout
    assert "2/8 pre-training leaves: resuming train_ssl.py" in done.stdout
    assert (out / "pretrain" / "perlin" / "ckpt_last.pth").stat().st_mtime_ns == kept
    assert epochs_done(out / "pretrain" / "leaves") == [0, 1]
    for name in ("perlin", "leaves"):
        log = (out / name / "seed2" / "log_rank0.txt").read_text()
        assert f"TRAIN.INIT_SSL {out / 'pretrain' / name / 'ckpt_last.pth'}" in log, log[-1500:]
    rows = table(out)
    assert [(i, rows[i, "k-NN top-1"]["seeds"], rows[i, "k-NN top-1"]["status"])
            for i in ("scratch", "perlin", "leaves")] == [("scratch", "2", ""), ("perlin", "2", "pre-trained"),
                                                           ("leaves", "2", "pre-trained")]
    assert rows["perlin", "linear top-1"]["diff"] != "" and rows["scratch", "linear top-1"]["diff"] == ""
    assert f"perlin: train_ssl.py {tmp_path / 'mine.yaml'} DATA.SOURCE perlin" in done.stdout

    again = compare_in_process(args)
    assert again.returncode == 0 and again.stdout.count("finished earlier, kept") == 8, again.stderr[-2000:]

    # a last checkpoint that is not the last epoch's (killed between the epoch's metrics row and its save) is
    # no pre-training to start from: its cells' figures leave the table
    last = out / "pretrain" / "leaves" / "ckpt_last.pth"
    last.unlink()
    os.link(out / "pretrain" / "leaves" / "ckpt_epoch_0.pth", last)
    report = run_in_process("compare.py", args=["--out", out, "--report"])
    assert report.returncode == 0 and table(out)["leaves", "k-NN top-1"]["seeds"] == "0", report.stdout
    assert table(out)["leaves", "k-NN top-1"]["status"] == "pre-training not finished"
    # the recipe's YAML edited after it pre-trained: refused before anything runs, naming what changed
    (tmp_path / "mine.yaml").write_text((tmp_path / "mine.yaml").read_text().replace("PROB_CLONE: 0.15",
                                                                                     "PROB_CLONE: 0.2"))
    edited = compare_in_process(args)
    assert edited.returncode == 2 and "holds pre-training perlin with other settings (AUG.PROB_CLONE)" in \
        edited.stderr, edited.stderr[-800:]


@pytest.mark.slow
def test_a_failed_pretraining_stops_only_its_own_cells_and_shards_wait_for_each_others(data, tmp_path):
    study = study_file(tmp_path, {"broken": f"DATA.ROOT {data} DATA.DATASET junk", "perlin": f"DATA.SOURCE perlin {RENDERED}"})
    out = tmp_path / "study"
    # numbered: 0 pre-training broken, 1 pre-training perlin, 2 scratch seed 1, 3 broken seed 1, 4 perlin seed 1
    first = zygote.run([ROOT / "compare.py", *compare_args(study, out, data, "--seeds", 1, "--shard", "0/2")])
    assert first.returncode == 2, first.stderr[-2000:]
    assert "pre-training broken failed (exit code 2" in first.stdout
    assert "no readable video under" in first.stderr  # the script's own error, above compare.py's
    assert "perlin seed 1: left for a later run: pre-training perlin has not finished" in first.stdout
    assert "the pre-training of broken failed" in first.stderr.splitlines()[-1]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "compare.csv", "compare.json", "compare.png", "pretrain", "scratch"]  # nothing ran on a partial checkpoint

    ddp = f"{zygote.shim_folder() / 'python'} -m torch.distributed.run --standalone --nproc_per_node 2"
    second = zygote.run([ROOT / "compare.py", *compare_args(study, out, data, "--seeds", 1, "--shard", "1/2",
                                                             "--launcher", ddp)])  # how it runs, not what
    assert second.returncode == 0, second.stderr[-2000:]
    assert "world size 2" in (out / "pretrain" / "perlin" / "log_rank0.txt").read_text()
    assert "broken seed 1: not run: pre-training broken failed (train_ssl.py exited with code 2" in second.stdout
    assert not (out / "broken").exists()

    third = zygote.run([ROOT / "compare.py", *compare_args(study, out, data, "--seeds", 1)])
    assert third.returncode == 2 and "perlin seed 1: probing" in third.stdout, third.stderr[-2000:]
    rows = table(out)
    assert rows["perlin", "k-NN top-1"]["seeds"] == "1" and rows["perlin", "k-NN top-1"]["status"] == "pre-trained"
    assert rows["broken", "k-NN top-1"]["seeds"] == "0"
    assert rows["broken", "k-NN top-1"]["status"] == "pre-training failed"
    assert f"broken: train_ssl.py cfg/pretrain_ssl/tsm.yaml DATA.ROOT {data} DATA.DATASET junk" in third.stdout
    assert "pre-training failed: pre-training broken: train_ssl.py exited with code 2" in third.stdout

    other = study_file(tmp_path, {"perlin": f"DATA.SOURCE perlin {RENDERED} DATA.RENDER_RES 40"})
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    refused = compare_in_process(compare_args(other, out, data, "--seeds", 1))
    assert refused.returncode == 2 and "holds another study" in refused.stderr, refused.stderr[-800:]
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before


def bad_study(folder, case: str):
    recipe = {"name": "perlin", "script": "train_ssl.py", "cfg": "cfg/pretrain_ssl/tsm.yaml",
              "opts": f"DATA.SOURCE perlin {RENDERED}"}
    recipes = [dict(recipe)]
    if case == "missing yaml":
        recipes[0]["cfg"] = "cfg/pretrain_ssl/nothere.yaml"
    elif case == "two names":
        recipes.append(dict(recipe))
    elif case == "an init's name":
        recipes[0]["name"] = "scratch"
    elif case == "key not read":
        recipes[0]["opts"] += " DATA.RENDER_SPLATS 100"
    elif case == "set by compare":
        recipes[0]["opts"] += " SEED 4"
    elif case == "script":
        recipes[0]["script"] = "train.py"
    elif case == "unknown key":
        recipes[0]["epochs"] = 3
    elif case == "a path for a name":
        recipes[0]["name"] = "../escape"
    elif case == "a report's name":
        recipes[0]["name"] = "compare.csv"
    elif case == "unclosed quote":
        recipes[0]["opts"] += ' DATA.SOURCE "perlin'
    lines = ["recipes:"]
    for r in recipes:
        lines += [f"  - {k}: {v}" if i == 0 else f"    {k}: {v}" for i, (k, v) in enumerate(r.items())]
    (folder / "study.yaml").write_text("\n".join(lines) + "\n")
    return folder / "study.yaml"


@pytest.mark.parametrize("case,message", [
    ("missing yaml", "recipe perlin names cfg/pretrain_ssl/nothere.yaml, which does not exist"),
    ("two names", "two recipes are named perlin; give each its own name"),
    ("an init's name", "recipe scratch of --study"),
    ("key not read", "recipe perlin: DATA.RENDER_SPLATS is set but this run does not read it"),
    ("set by compare", "recipe perlin: compare.py sets SEED for each pre-training; drop it"),
    ("other model", "recipe perlin pre-trains a TSM-resnet18 but the target task trains a TSM-resnet50; give both"),
    ("script", "script 'train.py' is not train_sup.py or train_ssl.py"),
    ("unknown key", "unknown key 'epochs'; a recipe has name, script, cfg, opts"),
    ("no file", "--study {folder}/nothere.yaml does not exist"),
    ("no study", "--pretrain_opts applies to a study's pre-trainings; give --study FILE"),
    ("a path for a name", "recipe 1: the name '../escape' becomes a folder; use letters"),
    ("a report's name", "recipe 1: the name 'compare.csv' is what compare.py calls one of its own files"),
    ("unclosed quote", "recipe perlin: opts"),
    ("an init named pretrain", "--init pretrain=x.pth: the name 'pretrain' is what compare.py calls one"),
    ("no launcher", "--launcher 'nosuchcommand --x': nosuchcommand is not a command on PATH"),
    ("odd pretrain opts", "--pretrain_opts needs KEY VALUE pairs; 'DATA.BATCH_SIZE' has no value"),
])
def test_bad_studies_exit_2_with_one_line_before_anything_runs(data, tmp_path, case, message):
    study = tmp_path / "nothere.yaml" if case == "no file" else bad_study(tmp_path, case)
    args = compare_args(study, tmp_path / "out", data)
    if case == "no study":
        args = args[2:]
    if case == "other model":  # the target's model
        args[-args[::-1].index("resnet18") - 1] = "resnet50"
    if case == "an init named pretrain":
        args[args.index("scratch")] = "pretrain=x.pth"
    if case == "no launcher":
        args[args.index("--pretrain_opts"):args.index("--pretrain_opts")] = ["--launcher", "nosuchcommand --x"]
    if case == "odd pretrain opts":
        args[args.index("--opts"):args.index("--opts")] = ["DATA.BATCH_SIZE"]
    done = compare_in_process(args)
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1, done.stderr[-800:]
    assert message.format(folder=tmp_path) in errors[0]
    assert not (tmp_path / "out").exists()


def test_a_pretraining_that_ends_short_of_its_last_epoch_fails_and_keeps_a_users_checkpoint(data, tmp_path):
    """A pre-training that exits well without finishing (here the launcher only echoes the command) is recorded
    as failed, not left waiting; a ckpt_last.pth of the user's in its folder is never resumed from or replaced."""
    study = study_file(tmp_path, {"perlin": f"DATA.SOURCE perlin {RENDERED}"})
    done = compare_in_process(compare_args(study, tmp_path / "a", data, "--seeds", 1, "--launcher", "echo", init=()))
    assert done.returncode == 2 and "ended (exit code 0) before its last epoch" in done.stdout, done.stdout[-800:]
    assert "perlin seed 1: not run: pre-training perlin failed" in done.stdout
    mine = tmp_path / "b" / "pretrain" / "perlin" / "ckpt_last.pth"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"my own run")
    done = zygote.run([ROOT / "compare.py", *compare_args(study, tmp_path / "b", data, "--seeds", 1, init=())])
    assert done.returncode == 2 and "running train_ssl.py" in done.stdout, done.stdout[-800:]
    assert "holds ckpt_last.pth, not written by this toolkit" in done.stderr and mine.read_bytes() == b"my own run"


def test_the_shipped_studies_check_against_the_papers_target(tmp_path, monkeypatch):
    """cfg/study/*.yaml: every recipe's configuration is one its script accepts, with the target's model (the
    ablations' class folders made as their header says, with one class file each here)."""
    import shutil

    from generate_helpers import generate
    from src.compare.study import check_recipes, read_study
    from src.synthetic.class_files import find_class_files
    from src.train.config import merge
    generate("--gen_param", 1, "--dir_out", tmp_path / "one")
    (tmp_path / "cfg").symlink_to(ROOT / "cfg")
    for classes in (250, 500, 1000):
        folder = tmp_path / "data" / f"fractal-classes-{classes}"
        folder.mkdir(parents=True)
        shutil.copy(find_class_files(tmp_path / "one")[0], folder)
    monkeypatch.chdir(tmp_path)
    target = merge([ROOT / "cfg" / "hmdb51" / "tsm.yaml"], None, [])
    for study, names in (("families", ["fractal-linear", "fractal-nonlinear", "perlin", "octopus", "dead-leaves"]),
                         ("ablations", ["sup-fractal", "class-250", "class-1000", "instance-100", "instance-400"]),
                         ("laptop", ["fractal", "perlin", "dead-leaves"])):
        recipes = read_study(ROOT / "cfg" / "study" / f"{study}.yaml", [])
        assert [r.name for r in recipes] == names
        check_recipes(recipes, target, tmp_path / "out")
    assert not (tmp_path / "out").exists()
