"""Frozen-feature probes: python probe.py --cfg cfg/hmdb51/tsm.yaml --opts TRAIN.INIT_SSL out/ssl/ckpt_last.pth
TRAIN.OUTPUT out/probe-hmdb51"""
import sys

from src.utils.threads import openmp_waits_passively

openmp_waits_passively()  # before anything imports torch

from src.train.config import load  # noqa: E402
from src.utils.cli import run_cli  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    def body() -> None:
        cfg, args = load(argv, "probe", "k-NN and linear probes of a frozen encoder on ROOT/DATASET "
                                        "(fitted on train, scored on val).")
        from src.train.probe_job import probe_checkpoint
        probe_checkpoint(cfg, args.changes)
    return run_cli("probe.py", body,
                   interrupted_hint="run it again (features already cached in TRAIN.OUTPUT are reused)")


if __name__ == "__main__":
    sys.exit(main())
