"""Self-supervised pre-training: python train_ssl.py --cfg cfg/pretrain_ssl/tsm.yaml --opts DATA.DATASET uns-fractal"""
import sys

from src.data.video_files import DatasetError
from src.train.checkpoint import CheckpointError
from src.train.config import load


def main(argv: list[str] | None = None) -> int:
    try:
        cfg, _ = load(argv, "contrastive", "Self-supervised pre-training of TSM (MoCo, BYOL, SimCLR).")
        from src.ssl.train import train
        train(cfg)
    except (ValueError, DatasetError, CheckpointError) as e:
        print(f"train_ssl.py: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted: resume with --opts MODEL.RESUME <the last checkpoint in TRAIN.OUTPUT>", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
