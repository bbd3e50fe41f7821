"""Supervised training / fine-tuning: python train_sup.py --cfg cfg/hmdb51/tsm.yaml --opts TRAIN.OUTPUT out/hmdb51"""
import sys

from src.train.checkpoint import CheckpointError
from src.train.config import load
from src.data.video_files import DatasetError


def main(argv: list[str] | None = None) -> int:
    try:
        cfg, args = load(argv, "supervised", "Train TSM with labels (pre-training or fine-tuning).", preview=True)
    except ValueError as e:
        print(f"train_sup.py: error: {e}", file=sys.stderr)
        return 2
    from src.train.supervised import preview_augmentations, train
    try:
        if args.preview_aug:
            print(f"wrote {preview_augmentations(cfg, args.preview_aug)}")
        else:
            train(cfg)
    except (DatasetError, CheckpointError, ValueError) as e:
        print(f"train_sup.py: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted: resume with --opts MODEL.RESUME <the last checkpoint in TRAIN.OUTPUT>", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
