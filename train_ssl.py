"""Self-supervised pre-training: python train_ssl.py --cfg cfg/pretrain_ssl/tsm.yaml --opts DATA.DATASET uns-fractal"""
import sys

from src.train.cli import run
from src.train.config import load


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        cfg, _ = load(argv, "contrastive", "Self-supervised pre-training of TSM (MoCo, BYOL, SimCLR).")
        from src.ssl.train import train
        train(cfg)
    return run("train_ssl.py", body)


if __name__ == "__main__":
    sys.exit(main())
