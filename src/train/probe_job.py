"""probe.py's job: encode a labelled dataset's train and val videos once with the initialised encoder (the
features are cached in TRAIN.OUTPUT, keyed by what they depend on), run the k-NN and linear probes, add their
rows to OUTPUT/probe.csv."""
import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from yacs.config import CfgNode

from ..utils.atomic import atomic_path
from .engine import prepare_output
from .init_weights import supervised_model, variant
from .output_folder import claimed_output
from .probing import (ProbeSets, check_measurable, check_measurable_features, encode_split, probe_sets,
                      run_probes, skipped_videos)
from .runtime import setup

CSV_FIELDS = ("init", "seed", "method", "top1", "top1_low", "top1_high", "top5", "top5_low", "top5_high",
              "train_videos", "val_videos", "skipped_videos", "weight_decay", "features")


def init_description(cfg: CfgNode) -> str:
    for key in ("TRAIN.INIT_SUP", "TRAIN.INIT_SSL", "MODEL.KINETICS"):
        section, name = key.split(".")
        if cfg[section][name]:
            return f"{key} {cfg[section][name]}"
    return f"random (SEED {cfg.SEED})"


def file_digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def features_key(cfg: CfgNode, sets: ProbeSets) -> tuple[str, str]:
    """(key, description) of what the features depend on: the weights (file contents, or the seed of a random
    init), the model, each video (path, size, modification time, frame count, label) and how it is clipped. The
    description is stored inside the cache file and checked on load, so a file under the key's name that holds
    anything else is never used."""
    weights = {k: file_digest(v) for k, v in (("INIT_SUP", cfg.TRAIN.INIT_SUP), ("INIT_SSL", cfg.TRAIN.INIT_SSL),
                                                ("KINETICS", cfg.MODEL.KINETICS)) if v}
    videos = []
    for s in (sets.train, sets.val):
        for i in range(len(s)):
            path = Path(s.source.name(i)).resolve()
            stat = path.stat()
            videos.append([str(path), stat.st_size, stat.st_mtime_ns, s.source.counts[i], s.labels[i]])
    what = {"weights": weights or {"random": cfg.SEED}, "arch": cfg.MODEL.ARCH, "variant": variant(cfg),
            "videos": videos,
            "clips": [cfg.DATA.IMG_SIZE, cfg.DATA.CLIP_LENGTH, cfg.DATA.STRIDE, cfg.DATA.VAL_MIN_STEPS,
                      cfg.DATA.VAL_MAX_SEGS, cfg.AUG.CROP_VAL, cfg.AUG.INTERP]}
    description = json.dumps(what, sort_keys=True)
    return hashlib.sha256(description.encode()).hexdigest()[:16], description


FEATURE_ARRAYS = ("train_x", "train_y", "val_x", "val_y")


def load_features(path: Path, description: str, sets: ProbeSets) -> tuple[dict[str, torch.Tensor] | None, str]:
    """The cached features if ``path`` holds exactly those of ``description`` (every video of both splits),
    else (None, why not): a missing, damaged, foreign or incomplete file is recomputed, never trusted."""
    if not path.is_file():
        return None, ""
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["key"]) != description:
                return None, "it was computed for other weights, videos or settings"
            arrays = {k: stored[k] for k in FEATURE_ARRAYS}
    except Exception as e:  # truncated, not an npz, arrays missing: recompute
        return None, f"it cannot be read ({type(e).__name__})"
    train_x, train_y, val_x, val_y = (arrays[k] for k in FEATURE_ARRAYS)
    shapes_fit = (train_x.ndim == 2 and val_x.ndim == 2 and train_x.shape[1] == val_x.shape[1] > 0
                  and len(train_x) == len(train_y) == len(sets.train) and len(val_x) == len(val_y) == len(sets.val)
                  and train_y.tolist() == list(sets.train.labels) and val_y.tolist() == list(sets.val.labels)
                  and np.isfinite(train_x).all() and np.isfinite(val_x).all())
    if not shapes_fit:
        return None, "its arrays do not fit these videos"
    return {k: torch.from_numpy(v) for k, v in arrays.items()}, ""


def save_features(path: Path, features: dict[str, torch.Tensor], description: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, key=np.array(description), **{k: v.numpy() for k, v in features.items()})


def write_rows(path: Path, rows: list[dict]) -> None:
    """Add ``rows`` to probe.csv, replacing the rows of the same features, seed and method (a rerun)."""
    old = []
    if path.is_file():
        with open(path, newline="") as f:
            old = list(csv.DictReader(f))
    new_keys = {(r["features"], str(r["seed"]), r["method"]) for r in rows}
    kept = [r for r in old if (r.get("features"), r.get("seed"), r.get("method")) not in new_keys]
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore", restval="")
        out.writeheader()
        out.writerows(kept + [{k: f"{v:.7g}" if isinstance(v, float) else v for k, v in r.items()} for r in rows])


def probe_checkpoint(cfg: CfgNode, changes: str) -> list[dict]:
    """probe.py: encode DATA.DATASET's train and val videos with the initialised encoder (or reuse the cached
    features), run the k-NN and linear probes, add their rows to OUTPUT/probe.csv."""
    rt = setup(cfg)
    sets = probe_sets(cfg, cfg.DATA.DATASET, cfg.DATA.EXTENSION)
    check_measurable(sets, "DATA.DATASET")
    model, note = supervised_model(cfg, sets.class_count)  # every file is read and checked before writing
    key, description = features_key(cfg, sets)
    with claimed_output(cfg, rt, new_run=False):
        output = Path(cfg.TRAIN.OUTPUT)
        table = output / "probe.csv"
        logger = prepare_output(cfg, rt, changes, "config_probe.yaml")
        cache = output / "features" / f"{key}.npz"
        features, why = load_features(cache, description, sets)
        skipped = 0
        if features is not None:
            logger.info(f"features {key} reused from {cache}")
        else:
            if why:
                logger.info(f"{cache} is not used: {why}; encoding again")
            logger.info(note)
            logger.info(f"encoding {len(sets.train)} training and {len(sets.val)} validation videos of {sets.where}")
            encoder = model.to(rt.device)
            train_x, train_y = encode_split(encoder, cfg, sets.train, rt)
            val_x, val_y = encode_split(encoder, cfg, sets.val, rt)
            features = {"train_x": train_x, "train_y": train_y, "val_x": val_x, "val_y": val_y}
            skipped = skipped_videos(features, sets)
            if skipped:  # incomplete features are never cached: the next run encodes the repaired videos
                logger.warning(f"{skipped} videos could not be decoded and are left out of the probes; the features "
                               "are not cached")
            else:
                save_features(cache, features, description)
                logger.info(f"features ({train_x.shape[1]} per video) cached in {cache}")
        check_measurable_features(features, sets)
        rows = run_probes((features["train_x"], features["train_y"]), (features["val_x"], features["val_y"]),
                          sets.class_count, cfg)
        common = {"init": init_description(cfg), "seed": cfg.SEED, "train_videos": len(features["train_y"]),
                  "val_videos": len(features["val_y"]), "skipped_videos": skipped, "features": key}
        rows = [{**common, **r} for r in rows]
        write_rows(table, rows)
        for r in rows:
            wd = f" (weight decay {r['weight_decay']:g})" if r["method"] == "linear" else ""
            logger.info(f"{r['method'].upper()} PROBE{wd}: top-1 {r['top1']:.2f} [{r['top1_low']:.2f}, "
                        f"{r['top1_high']:.2f}], top-5 {r['top5']:.2f} [{r['top5_low']:.2f}, {r['top5_high']:.2f}] "
                        f"(95 % bootstrap over {r['val_videos']} videos)")
        logger.info(f"rows added to {table}")
        return rows
