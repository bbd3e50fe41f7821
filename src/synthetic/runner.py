"""Main loop of generate_synthetic.py for every generator: parallel, deterministic per sample, resumable."""
import argparse
import itertools
import math
import time
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..utils import owned_files
from ..utils.atomic import remove_stale_temps
from ..utils.progress import progress
from ..utils.pool import worker_pool
from ..utils.time_string import format_hms
from .chaos_game import compile_kernels
from .class_files import save_class
from .fractal_params import IMAGES_PER_SAMPLE
from .generator import Settings, until_valid
from .registry import get_generator
from .args import build_parser
from .perlin import SIZE as PERLIN_SIZE
from .outputs import class_path, claim_folder, image_paths, record_finished, scan, video_path
from .preview import write_contact_sheet
from .video_writer import write_image, write_video

PREVIEW_ROWS = 8


@dataclass
class Result:
    step: int
    paths: list[Path]
    rejected: int


def class_order(args: argparse.Namespace) -> list:
    """Class references in the shuffled round-robin order (one shuffle seeded by --seed)."""
    refs = get_generator(args.type).fixed_classes() or args.classes
    order = np.random.default_rng(args.seed).permutation(len(refs))
    return [refs[i] for i in order]


def sample_rng(args: argparse.Namespace, step: int) -> np.random.Generator:
    """The random stream of one output: a function of (--seed, step) only, so any --workers gives the same files."""
    return np.random.default_rng(np.random.SeedSequence(args.seed, spawn_key=(step,)))


def make_output(args: argparse.Namespace, settings: Settings, step: int, ref) -> Result:
    """Render and write one output (a video, or 16 images in --img mode); ``ref`` is the class or None."""
    gen, rng = get_generator(args.type), sample_rng(args, step)
    params = None if ref is None else gen.class_params(ref)
    label = None if ref is None else gen.label(ref)
    try:
        sample, rejected = until_valid(lambda: gen.render(settings, rng, params))
    except RuntimeError as e:
        if ref is None:
            raise
        raise ValueError(f"class file {ref}: {e}; the class draws no usable video at these settings, remove it or "
                         "sample classes anew with --gen_param") from None
    if args.img:
        paths = image_paths(args.dir_out, step, sample.tag, label)
        for path, image in zip(paths, sample.frames):
            write_image(path, image, finished(args.dir_out, path))
    else:
        paths = [video_path(args.dir_out, step, sample.tag, label)]
        write_video(paths[0], sample.frames, args.fps, args.lib_save, args.codec, args.preset,
                    finished(args.dir_out, paths[0]))
    return Result(step, paths, rejected)


def make_class(args: argparse.Namespace, settings: Settings, index: int) -> Result:
    """Sample and write one class parameter file."""
    gen, rng = get_generator(args.type), sample_rng(args, index)
    (params, tag), rejected = until_valid(lambda: gen.sample_class(settings, rng))
    path = class_path(args.dir_out, index, tag)
    save_class(path, params, finished(args.dir_out, path))
    return Result(index, [path], rejected)


def finished(dir_out: Path, path: Path):
    """What the writer calls once ``path``'s temp is complete, before renaming it into place."""
    return lambda tmp: record_finished(dir_out, path, tmp.stat().st_size)


def _task(args: argparse.Namespace, settings: Settings, step: int, ref) -> Result:
    if args.gen_param:
        return make_class(args, settings, step)
    return make_output(args, settings, step, ref)


def print_args(args: argparse.Namespace) -> None:
    """Two lines: what is made where, then every option that differs from its default."""
    what = "class files" if args.gen_param else "images" if args.img else "videos"
    amount = [f"{args.gen_param or args.samples} {what}"] if args.gen_param or args.samples else [what]
    if args.img and args.samples and not args.gen_param:
        amount[0] += f" (whole sets of {IMAGES_PER_SAMPLE}: {_last_step(args) * IMAGES_PER_SAMPLE})"
    if args.time:
        amount.append(f"for at most {format_hms(args.time)}")
    labels = f" of {len(args.classes)} classes from {args.dir_in}" if args.classes else ""
    shard = f", shard {args.shard[0]}/{args.shard[1]}" if args.shard[1] > 1 else ""
    print(f"generating {args.type} {' '.join(amount)}{labels} into {args.dir_out} ({args.workers} workers{shard})")
    defaults = build_parser().parse_args(["--type", args.type, "--dir_out", "."])
    validate_defaults = {"res": PERLIN_SIZE if args.type == "perlin" else 256}  # what validate() fills in
    skip = {"type", "dir_out", "dir_in", "samples", "time", "gen_param", "workers", "classes", "shard"}
    changed = [f"--{k}" if v is True else f"--{k} {' '.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"
               for k, v in vars(args).items()
               if k not in skip and v != validate_defaults.get(k, getattr(defaults, k, None))]
    print("options: " + (" ".join(changed) if changed else "the defaults"))


def _size(n_bytes: float) -> str:
    value, units = n_bytes / 1024, ["KB", "MB", "GB"]
    unit = 0
    while value >= 1024 and unit < 2:
        value, unit = value / 1024, unit + 1
    return f"{value:.1f}{units[unit]}"


class Progress:
    """tqdm bar plus a periodic status block (counts, time, disk use, rejection rate). Counts are this shard's:
    its steps, times the images of a step in --img mode."""

    def __init__(self, args: argparse.Namespace, total_steps: int | None, already: int):
        self.args, self.start, self.done, self.made, self.rejected, self.bytes = args, time.time(), already, 0, 0, 0
        self.per_step = IMAGES_PER_SAMPLE if args.img and not args.gen_param else 1
        self.total_steps = total_steps
        self.target = None if total_steps is None else total_steps * self.per_step
        self.bar = progress(total=total_steps, initial=already, unit="image set" if self.per_step > 1 else "sample")

    def update(self, result: Result) -> None:
        self.done += 1
        self.made += 1
        self.rejected += result.rejected
        self.bytes += sum(p.stat().st_size for p in result.paths)
        self.bar.update(1)
        self.bar.set_postfix_str(f"{_size(self.bytes)}, rejected {self.rejection_rate():.1%}", refresh=False)

    def rejection_rate(self) -> float:
        return self.rejected / max(1, self.rejected + self.made)

    def status(self) -> str:
        """This run's figures (made, time, space) apart from the set's (what the folder holds of it)."""
        elapsed = time.time() - self.start
        unit = "class file" if self.args.gen_param else "image set" if self.per_step > 1 else "video"
        avg = elapsed / max(1, self.made)
        left = [avg * max(0, self.total_steps - self.done)] if self.total_steps is not None else []
        if self.args.time and self.done != self.total_steps:
            left.append(max(0.0, self.args.time / self.args.shard[1] - elapsed))
        remaining = format_hms(min(left)) if left else "unknown"
        n = self.done * self.per_step
        return "\n".join([
            "#" * 60,
            f"Created {n}/{self.target} samples." if self.target else f"Created {n} samples.",
            f"This run: {self.made} {unit}{'s' if self.made != 1 else ''} made"
            + (f" ({self.done - self.made} were already in {self.args.dir_out})" if self.done > self.made else ""),
            f"Time -> So_far: {format_hms(elapsed)}, Remaining: {remaining}, Avg: {avg:.1f} s/{unit}",
            f"Space -> This run: {_size(self.bytes)}, Avg: {_size(self.bytes / max(1, self.made))}/{unit}",
            f"Rejected degenerate samples: {self.rejected} ({self.rejection_rate():.1%})",
        ])


def _last_step(args: argparse.Namespace) -> int | None:
    if args.gen_param:
        return args.gen_param
    if args.samples:
        return math.ceil(args.samples / IMAGES_PER_SAMPLE) if args.img else args.samples
    return None


def in_shard(args: argparse.Namespace, step: int) -> bool:
    """Shard K of N writes the steps ≡ K (mod N); the union of all shards is the single-machine run."""
    k, n = args.shard
    return step % n == k


def _steps(args: argparse.Namespace, skip: set[int]):
    """Steps of this shard still to produce, in order, and how many the shard has (None when only --time is
    set: unbounded)."""
    last = _last_step(args)
    steps = range(1, last + 1) if last else itertools.count(1)
    total = None if last is None else sum(in_shard(args, s) for s in range(1, last + 1))
    return (s for s in steps if in_shard(args, s) and s not in skip), total


def run(args: argparse.Namespace) -> None:
    """Produce every missing output (complete files of an earlier run are kept), then write the preview."""
    if args.preview and not args.gen_param:  # before anything is written: never overwrite a user's preview.png
        owned_files.refuse_foreign(args.dir_out, ("preview.png",), "--dir_out")
    claim_folder(args)
    print_args(args)
    remove_stale_temps(args.dir_out)
    order, settings = class_order(args), Settings.from_args(args)
    skip = scan(args.dir_out, args.img, bool(args.gen_param))[0]
    todo, total = _steps(args, skip)
    last = _last_step(args)
    already = len([s for s in skip if in_shard(args, s) and (last is None or s <= last)])
    progress = Progress(args, total, already)
    if already:
        print(f"{already * progress.per_step} of this run's outputs already present in {args.dir_out}"
              + ("; nothing left to do" if already == total else "; making the rest"))
    deadline = progress.start + args.time / args.shard[1] if args.time else math.inf  # --time is for all shards

    def job(step):
        return step, order[(step - 1) % len(order)] if order else None

    def on_result(result: Result):
        progress.update(result)
        if progress.made % args.print_every == 0:
            progress.bar.write(progress.status())

    if args.type == "fractal":
        compile_kernels()
    if args.workers == 1:
        for step in todo:
            if time.time() >= deadline:
                break
            on_result(_task(args, settings, *job(step)))
    else:
        with worker_pool(args.workers) as pool:
            pending = set()
            for step in todo:
                if time.time() >= deadline:
                    break
                pending.add(pool.submit(_task, args, settings, *job(step)))
                if len(pending) >= 2 * args.workers:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in finished:
                        on_result(f.result())
            for f in pending:
                on_result(f.result())
    progress.bar.close()
    if progress.made % args.print_every:
        print(progress.status())
    if args.preview and not args.gen_param:
        rows, total = preview_rows(args)
        if rows:
            owned_files.record(args.dir_out, "preview.png")
            print(f"Preview: {write_contact_sheet(rows, args.dir_out / 'preview.png')} (the first {len(rows)} "
                  f"of {total} {'image sets' if args.img else 'videos'}, 8 evenly spaced frames each)")


def preview_rows(args: argparse.Namespace) -> tuple[list[list[Path]], int]:
    """The first outputs by step (one video per row, or one image set per row), and how many steps there are."""
    pattern = "*.jpg" if args.img else "*.mp4"
    by_step: dict[int, list[Path]] = {}
    for f in sorted(args.dir_out.rglob(pattern)):
        step = f.name.split("-")[0].split(".")[0]
        if step.isdigit():  # files of other origins in --dir_out are not ours to preview
            by_step.setdefault(int(step), []).append(f)
    return [sorted(by_step[s], key=lambda p: int(p.stem.split("-")[-1]))
            for s in sorted(by_step)[:PREVIEW_ROWS]], len(by_step)
