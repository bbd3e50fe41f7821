"""Supervised training / fine-tuning: python train_sup.py --cfg cfg/hmdb51/tsm.yaml --opts TRAIN.OUTPUT out/hmdb51"""
import sys

from src.utils.threads import openmp_waits_passively

openmp_waits_passively()  # before anything imports torch

from src.train.config import load  # noqa: E402
from src.utils.cli import run_cli  # noqa: E402

RESUME_HINT = "resume with --opts MODEL.RESUME <TRAIN.OUTPUT>/ckpt_last.pth"


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        cfg, args = load(argv, "supervised", "Train a video model with labels (pre-training or fine-tuning).",
                         preview=True)
        if args.preview_aug:
            from src.train.augment_preview import preview_augmentations
            print(f"wrote {preview_augmentations(cfg, args.preview_aug)}")
        else:
            from src.train.engine import run
            from src.train.supervised import SupervisedTask
            run(cfg, SupervisedTask(), args.changes)
    return run_cli("train_sup.py", body, RESUME_HINT)


if __name__ == "__main__":
    sys.exit(main())
