"""Supervised training / fine-tuning: python train_sup.py --cfg cfg/hmdb51/tsm.yaml --opts TRAIN.OUTPUT out/hmdb51"""
import sys

from src.train.cli import run
from src.train.config import load


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        cfg, args = load(argv, "supervised", "Train TSM with labels (pre-training or fine-tuning).", preview=True)
        from src.train.supervised import preview_augmentations, train
        if args.preview_aug:
            print(f"wrote {preview_augmentations(cfg, args.preview_aug)}")
        else:
            train(cfg)
    return run("train_sup.py", body)


if __name__ == "__main__":
    sys.exit(main())
