"""Evaluate a supervised checkpoint: python val_sup.py --cfg cfg/hmdb51/tsm.yaml --opts MODEL.RESUME out/ckpt_last.pth"""
import sys

from src.train.config import load
from src.utils.cli import run_cli


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        cfg, _ = load(argv, "evaluation", "Evaluate a supervised checkpoint on ROOT/DATASET/val.")
        from src.train.supervised import validate_checkpoint
        validate_checkpoint(cfg)
    return run_cli("val_sup.py", body, interrupted_hint=None)


if __name__ == "__main__":
    sys.exit(main())
