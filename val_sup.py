"""Evaluate a supervised checkpoint: python val_sup.py --cfg cfg/hmdb51/tsm.yaml --opts MODEL.RESUME out/ckpt_last.pth"""
import sys

from src.utils.threads import openmp_waits_passively

openmp_waits_passively()  # before anything imports torch

from src.train.config import load  # noqa: E402
from src.utils.cli import run_cli  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        cfg, args = load(argv, "evaluation", "Evaluate a supervised checkpoint on ROOT/DATASET/val.")
        from src.train.evaluation import validate_checkpoint
        validate_checkpoint(cfg, args.changes)
    return run_cli("val_sup.py", body, interrupted_hint=None)


if __name__ == "__main__":
    sys.exit(main())
