"""Training logs: text log (stdout + OUTPUT/log_rank0.txt), metrics CSV, TensorBoard scalars, a PNG of curves."""
import csv
import logging
import sys
from pathlib import Path

from ..utils.atomic import atomic_path
from ..utils.cli import UserError

FORMAT = "[%(asctime)s %(name)s] (%(filename)s %(lineno)d): %(levelname)s %(message)s"


def make_logger(output: Path, main: bool) -> logging.Logger:
    logger = logging.getLogger("fractal-video")
    logger.handlers.clear()
    logger.setLevel(logging.INFO if main else logging.WARNING)
    logger.propagate = False
    formatter = logging.Formatter(FORMAT, datefmt="%Y-%m-%d %H:%M:%S")
    handlers = [logging.StreamHandler(sys.stdout)] + ([logging.FileHandler(output / "log_rank0.txt")] if main else [])
    for h in handlers:
        h.setFormatter(formatter)
        logger.addHandler(h)
    return logger


def significant(value: float) -> float:
    """7 significant digits: short columns, and a learning rate of 2.5e-06 stays itself (rounding to decimals
    would write 3e-06)."""
    return float(f"{value:.7g}")


def read_metrics(path: Path) -> list[dict]:
    """metrics.csv's rows; UserError naming the file if it is not one a run wrote (no whole-number epochs)."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        if all(str(r.get("epoch", "")).isdigit() for r in rows):
            return rows
    except (OSError, UnicodeDecodeError, csv.Error):
        pass
    raise UserError(f"{path} is damaged (no whole-number 'epoch' column); it records the run's epochs: restore it, "
                    "or start the run again in another TRAIN.OUTPUT")


class Metrics:
    """One row per epoch in OUTPUT/metrics.csv (rows of epochs being redone after a resume are replaced), the
    same scalars in TensorBoard (OUTPUT/tb), and OUTPUT/curves.png drawn from the CSV."""

    def __init__(self, output: Path, first_epoch: int):
        self.path, self.output = output / "metrics.csv", output
        self.rows = self._read(first_epoch)
        from torch.utils.tensorboard import SummaryWriter  # here: val_sup.py and probe.py never write one
        self.writer = SummaryWriter(str(output / "tb"))

    def _read(self, first_epoch: int) -> list[dict]:
        if not self.path.exists():
            return []
        rows = read_metrics(self.path)
        return [r for r in rows if int(r["epoch"]) < first_epoch]

    def add(self, epoch: int, values: dict[str, float], step: int) -> None:
        row = {"epoch": epoch, **{k: significant(v) if isinstance(v, float) else v for k, v in values.items()}}
        self.rows.append(row)
        for key, value in values.items():
            if value != "":
                self.writer.add_scalar(key, float(value), step)
        self.writer.flush()
        keys = list(dict.fromkeys(k for r in self.rows for k in r))
        with atomic_path(self.path) as tmp, open(tmp, "w", newline="") as f:
            out = csv.DictWriter(f, fieldnames=keys, restval="")
            out.writeheader()
            out.writerows(self.rows)

    def plot(self) -> Path:
        from matplotlib.figure import Figure  # not pyplot: no global figure manager, no backend to choose
        keys = [k for k in dict.fromkeys(k for r in self.rows for k in r)  # columns that start later too (validation)
                if k not in ("epoch", "seconds")]
        fig = Figure(figsize=(4 * max(1, len(keys)), 3))
        axes = fig.subplots(1, max(1, len(keys)), squeeze=False)
        for ax, key in zip(axes[0], keys):
            points = [(int(r["epoch"]), float(r[key])) for r in self.rows if r.get(key, "") != ""]
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o")
            ax.set_title(key)
            ax.set_xlabel("epoch")
        fig.subplots_adjust(left=0.8 / fig.get_figwidth(), right=1 - 0.2 / fig.get_figwidth(), bottom=0.17, top=0.88,
                            wspace=0.3)  # fixed margins: a tight layout measures every label first (a second)
        path = self.output / "curves.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png")
        return path

    def close(self) -> None:
        self.writer.close()
