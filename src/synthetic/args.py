"""Command line of generate_synthetic.py (docs/generators.md) and its validation."""
import argparse
from pathlib import Path

from ..utils.atomic import writable_folder
from ..utils.cli import OneLineParser
from ..utils.shard import parse_shard, resolve_shard
from ..utils.threads import usable_cores
from ..utils.time_string import parse_time
from .class_files import ClassFileError, find_class_files
from .fractal_params import check_kind
from .generator import MAX_ATTEMPTS, TRIAL, Settings, draws_something
from .registry import get_generator
from .perlin import SIZE as PERLIN_SIZE
from .variations import variation_problem

TYPES = ("fractal", "perlin", "octopus", "dead_leaves")
MIN_RES = 16


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an' if kind is int else 'a'} {'integer' if kind is int else 'number'}, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    return parse


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _time(text: str) -> int:
    try:
        seconds = parse_time(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(description="Generate synthetic videos: fractal IFS videos (or images), Perlin noise, "
                                  "octopus limbs, dead leaves.")
    p.add_argument("--type", required=True, choices=TYPES, help="generator")
    p.add_argument("--samples", type=_positive(int), default=0, help="number of outputs to produce")
    p.add_argument("--time", type=_time, default=0, help="wall-clock budget, e.g. 2h30m")
    p.add_argument("--dir_out", type=Path, required=True, help="output directory")
    p.add_argument("--dir_in", type=Path, help="directory of class parameter files (*.npz): labelled mode")
    p.add_argument("--gen_param", type=_positive(int), help="only write this many class parameter files")
    p.add_argument("--res", type=_positive(int), help="frame side in pixels (default 256; perlin 240)")
    p.add_argument("--fps", type=_positive(int), default=12, help="frame rate of the written videos")
    p.add_argument("--seed", type=_non_negative_int, default=1, help="seed of every random stream (>= 0)")
    p.add_argument("--print_every", type=_positive(int), default=50, help="print a status block every N outputs")
    p.add_argument("--lib_save", choices=("ffmpeg", "cv2"), default="ffmpeg", help="video writer")
    p.add_argument("--codec", choices=("libx264", "libx265"), default="libx264",
                   help="ffmpeg encoder at CRF 24; libx265 matches the original sets' format, but writes and "
                        "decodes about 2x slower")
    p.add_argument("--preset", default="medium",
                   choices=("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"),
                   help="ffmpeg encoder preset (medium = ffmpeg's default, as the original)")
    p.add_argument("--workers", type=_positive(int), default=usable_cores(), help="parallel processes")
    p.add_argument("--shard", type=parse_shard, metavar="K/N",
                   help="write only the steps ≡ K mod N (0 <= K < N), e.g. one task of a SLURM array; default: "
                        "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT when set, else 0/1")
    p.add_argument("--preview", action="store_true", help="write a PNG contact sheet of the first outputs")
    p.add_argument("--img", action="store_true", help="fractal: still images (16 per parameter set)")
    p.add_argument("--bs_point", type=_positive(int), default=128, help="fractal: chaos-game points per frame")
    p.add_argument("--iter", type=_positive(int), default=7500, help="fractal: chaos-game iterations")
    p.add_argument("--iter_b", type=_positive(int), default=3000, help="fractal: iterations for border detection")
    p.add_argument("--iter_skip", "-ns", type=_positive(int), default=200, help="fractal: first iterations not drawn")
    p.add_argument("--thres_b", type=_positive(float), default=0.9, help="fractal: fraction of pixels the box keeps")
    p.add_argument("--res_b", type=_positive(int), default=128, help="fractal: border-detection resolution")
    p.add_argument("--var", type=int, nargs="+", default=[-1], help="fractal: variation ids (-1: default mixture)")
    p.add_argument("--linear_motion", action="store_true", help="fractal: linear interpolation for every map")
    return p


def _check_type_options(args: argparse.Namespace) -> None:
    """Options that do not apply to --type are errors, not silently ignored."""
    if args.type != "fractal":
        given = [flag for flag, on in (("--img", args.img), ("--var", args.var != [-1]),
                                       ("--linear_motion", args.linear_motion)) if on]
        if given:
            raise ValueError(f"{', '.join(given)} only applies to --type fractal")
    if args.type == "perlin":
        if args.gen_param is not None or args.dir_in is not None:
            raise ValueError("--type perlin is always labelled by its 256 lattice frequencies; "
                             "drop --gen_param/--dir_in")
    elif args.dir_in is not None and args.gen_param is not None:
        raise ValueError("--dir_in and --gen_param exclude each other: sample classes first, then generate from them")


def _load_classes(args: argparse.Namespace) -> list[Path]:
    """Class files below --dir_in, each checked before anything is written."""
    if args.dir_in is None:
        return []
    if not args.dir_in.is_dir():
        raise ValueError(f"--dir_in {args.dir_in} is not a directory")
    classes = find_class_files(args.dir_in)  # raises ClassFileError (a ValueError) on two classes of one name
    if not classes:
        raise ValueError(f"--dir_in {args.dir_in} holds no class files (*.npz); create them with --gen_param")
    generator = get_generator(args.type)
    settings = Settings.from_args(args)
    if len(classes) > 100:
        print(f"checking {len(classes)} class files with a trial render each (a few ms apiece)", flush=True)
    for path in classes:
        params = generator.class_params(path)  # raises ClassFileError naming the file
        if args.type == "fractal":
            check_kind(path, params, args.img)
        if not draws_something(generator, params, settings):
            raise ClassFileError(f"class file {path} draws no usable sample (a trial render at {TRIAL['res']} px "
                                 f"failed {MAX_ATTEMPTS} times: its maps or timing are degenerate); remove it or "
                                 "sample classes anew with --gen_param")
    return classes


def _check_fractal(args: argparse.Namespace) -> None:
    if args.iter <= args.iter_skip or args.iter_b <= args.iter_skip:
        raise ValueError(f"--iter ({args.iter}) and --iter_b ({args.iter_b}) must exceed --iter_skip ({args.iter_skip})")
    if not 0 < args.thres_b < 1:
        raise ValueError(f"--thres_b must be in (0, 1), got {args.thres_b}")
    problem = variation_problem(args.var)
    if problem:
        raise ValueError(f"--var {problem}")
    args.var = sorted(args.var)


def validate(args: argparse.Namespace) -> argparse.Namespace:
    """Post-parse checks; raises ValueError (or ClassFileError) with one line."""
    _check_type_options(args)
    args.shard = resolve_shard(args.shard)
    if args.res is None:
        args.res = PERLIN_SIZE if args.type == "perlin" else 256
    if args.res < MIN_RES or (args.type == "fractal" and args.res_b < MIN_RES):
        raise ValueError(f"--res {args.res} / --res_b {args.res_b} are too small to draw on; use at least {MIN_RES}")
    args.classes = _load_classes(args)
    if args.gen_param is None and not (args.samples or args.time):
        raise ValueError("nothing to do: give --samples N and/or --time 1h30m (or --gen_param K)")
    if args.type == "fractal":
        _check_fractal(args)
    if args.lib_save == "ffmpeg" and args.res % 2 and not args.img and args.gen_param is None:
        raise ValueError(f"--res {args.res} is odd; ffmpeg needs an even size (or use --lib_save cv2)")
    if not writable_folder(args.dir_out):
        raise ValueError(f"--dir_out {args.dir_out} is not writable; choose another folder")
    return args
