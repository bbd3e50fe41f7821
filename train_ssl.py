"""Self-supervised pre-training: python train_ssl.py --cfg cfg/pretrain_ssl/tsm.yaml --opts DATA.DATASET uns-fractal"""
import sys

from src.utils.threads import openmp_waits_passively

openmp_waits_passively()  # before anything imports torch

from src.train.config import load  # noqa: E402
from src.utils.cli import run_cli  # noqa: E402

RESUME_HINT = "resume with --opts MODEL.RESUME <TRAIN.OUTPUT>/ckpt_last.pth"


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        cfg, args = load(argv, "contrastive", "Self-supervised pre-training (MoCo, BYOL, SimCLR).")
        from src.train.contrastive import ContrastiveTask
        from src.train.engine import run
        run(cfg, ContrastiveTask(), args.changes)
    return run_cli("train_ssl.py", body, RESUME_HINT)


if __name__ == "__main__":
    sys.exit(main())
