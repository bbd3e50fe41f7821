"""The paper's comparison in one command: fine-tune (or probe) from each initialisation with several seeds, then
one table with intervals. A study (--study) adds pre-training recipes: each pre-trains, then its cells start from
its last checkpoint.

python compare.py --cfg cfg/hmdb51/tsm.yaml --init scratch --init fractal=out/fractal/ckpt_last.pth --seeds 3 \
    --out out/compare-hmdb51
python compare.py --cfg cfg/hmdb51/tsm.yaml --init scratch --study cfg/study/families.yaml --seeds 3 \
    --out out/families-hmdb51
"""
import argparse
import sys
from pathlib import Path

from src.utils.threads import openmp_waits_passively

openmp_waits_passively()  # before anything imports torch

from src.utils.cli import OneLineParser, run_cli  # noqa: E402
from src.utils.shard import parse_shard  # noqa: E402


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(description="Fine-tune (or probe) from each --init with --seeds seeds; report a table of "
                                  "means with 95 % intervals and the paired difference to the first --init.")
    p.add_argument("--cfg", "-c", nargs="+", default=[], type=Path, help="YAML files of the target task")
    p.add_argument("--init", action="append", default=[], metavar="NAME=CHECKPOINT",
                   help="scratch, or NAME=FILE (a train_sup.py/train_ssl.py checkpoint or Kinetics weights); repeat")
    p.add_argument("--study", type=Path, metavar="FILE",
                   help="a YAML of pre-training recipes (see cfg/study/): each pre-trains with its script in "
                        "OUT/pretrain/<name>, then becomes an init named after it")
    p.add_argument("--pretrain_opts", nargs="+", default=[], metavar="KEY VALUE",
                   help="KEY VALUE pairs for every recipe's pre-training, after its own (e.g. TRAIN.EPOCHS 10)")
    p.add_argument("--pretrain_each_seed", action="store_true",
                   help="pre-train each recipe once per seed (cell seed k starts from pre-training seed k); "
                        "default: once, with SEED 1")
    p.add_argument("--launcher", metavar="COMMAND",
                   help="start the pre-trainings with this command instead of python, e.g. "
                        "'torchrun --nproc_per_node 8' (not part of what is compared: a rerun may change it)")
    p.add_argument("--seeds", type=positive, default=3, help="runs per initialisation (SEED 1..N); default 3")
    p.add_argument("--mode", choices=("finetune", "probe"), default="finetune",
                   help="finetune: train_sup.py runs (best and last val top-1); probe: probe.py (k-NN, linear)")
    p.add_argument("--out", type=Path, required=True, help="folder of the cells (OUT/<init>/seed<k>) and the report")
    p.add_argument("--shard", type=parse_shard, metavar="K/N",
                   help="run the cells numbered K mod N (default: the SLURM array task's, else all)")
    p.add_argument("--report", action="store_true", help="only print and write the report of what has finished")
    p.add_argument("--opts", "-o", nargs=argparse.REMAINDER, default=[],
                   help="KEY VALUE pairs for every cell, e.g. TRAIN.EPOCHS 50; must come last")
    return p


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        args = build_parser().parse_args(argv)
        from src.compare.runner import run
        run(args)
    return run_cli("compare.py", body, interrupted_hint="run the same command again: finished cells are kept and "
                                                         "the interrupted one resumes")


if __name__ == "__main__":
    sys.exit(main())
