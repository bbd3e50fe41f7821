"""The error handling shared by train_sup.py, train_ssl.py and val_sup.py: user errors are one line, exit 2."""
import sys
from typing import Callable

RESUME_HINT = "resume with --opts MODEL.RESUME <the last checkpoint in TRAIN.OUTPUT>"


def run(prog: str, body: Callable[[], None], interrupted_hint: str | None = RESUME_HINT) -> int:
    """Run ``body``; a ValueError (bad config, dataset or checkpoint) prints ``<prog>: error: ...`` and gives 2."""
    try:
        body()
    except ValueError as e:  # DatasetError and CheckpointError are ValueErrors
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if interrupted_hint is None:
            raise
        print(f"\nInterrupted: {interrupted_hint}", file=sys.stderr)
        return 130
    return 0
