"""Evaluate a supervised checkpoint: python val_sup.py --cfg cfg/hmdb51/tsm.yaml --opts MODEL.RESUME out/ckpt_epoch_99.pth"""
import sys

from src.data.video_files import DatasetError
from src.train.checkpoint import CheckpointError
from src.train.config import load


def main(argv: list[str] | None = None) -> int:
    try:
        cfg, _ = load(argv, "supervised", "Evaluate a supervised checkpoint on ROOT/DATASET/val.")
        from src.train.supervised import validate_checkpoint
        validate_checkpoint(cfg)
    except (ValueError, DatasetError, CheckpointError) as e:
        print(f"val_sup.py: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
