"""The comparison table: per initialisation and figure, the mean over seeds with a 95 % t interval, the
per-seed values, and the difference to the first initialisation with a paired interval (the same seeds). Printed,
written to OUT/compare.csv, and drawn as OUT/compare.png."""
import csv
from pathlib import Path

from ..utils.atomic import atomic_path
from ..utils.intervals import mean_interval

# results[init][seed] = {figure: value}
Results = dict[str, dict[int, dict[str, float]]]
FIELDS = ("init", "figure", "seeds", "mean", "ci_low", "ci_high", "per_seed", "diff", "diff_low", "diff_high",
          "status")  # status: a study recipe's pre-training (pre-trained, failed, not finished); empty otherwise


def table_rows(results: Results, figures: tuple[str, ...]) -> list[dict]:
    first = next(iter(results))
    rows = []
    for init, by_seed in results.items():
        for figure in figures:
            seeds = sorted(s for s in by_seed if figure in by_seed[s])
            mean, low, high = mean_interval([by_seed[s][figure] for s in seeds])
            low, high = max(low, 0.0), min(high, 100.0)  # an accuracy's interval stays within 0-100 % (nan passes)
            row = {"init": init, "figure": figure, "seeds": len(seeds), "mean": mean, "ci_low": low,
                   "ci_high": high, "per_seed": " ".join(f"{s}:{by_seed[s][figure]:.2f}" for s in seeds),
                   "diff": "", "diff_low": "", "diff_high": "", "status": ""}
            paired = [s for s in seeds if figure in results[first].get(s, {})]
            if init != first and paired:
                diff = [by_seed[s][figure] - results[first][s][figure] for s in paired]
                d, d_low, d_high = mean_interval(diff)
                # a difference of two accuracies stays within ±100 points, as the means stay within 0-100 %
                row["diff"], row["diff_low"], row["diff_high"] = d, max(d_low, -100.0), min(d_high, 100.0)
            rows.append(row)
    return rows


def _interval(mean, low, high) -> str:
    if mean == "" or mean != mean:
        return "-"
    return f"{mean:.2f}" if low != low else f"{mean:.2f} [{low:.2f}, {high:.2f}]"


def format_table(rows: list[dict], first: str) -> str:
    header = ["init", "figure", "seeds", "mean [95% CI]", "per seed", f"vs {first} [paired 95% CI]"]
    body = [[r["init"], r["figure"], str(r["seeds"]), _interval(r["mean"], r["ci_low"], r["ci_high"]),
             r["per_seed"] or "-", _interval(r["diff"], r["diff_low"], r["diff_high"])] for r in rows]
    widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in [header] + body)


def write_csv(path: Path, rows: list[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=FIELDS)
        out.writeheader()
        out.writerows({k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for r in rows)


def draw(path: Path, rows: list[dict], figures: tuple[str, ...], title: str) -> None:
    """Bars of the mean per initialisation, one group per figure, with the 95 % interval as error bars."""
    from matplotlib.figure import Figure  # not pyplot: no global figure manager, no backend to choose
    inits = list(dict.fromkeys(r["init"] for r in rows))
    width = 0.8 / len(inits)
    fig = Figure(figsize=(3.5 + 1.6 * len(figures) * len(inits) / 2, 3.5))
    ax = fig.subplots()
    for i, init in enumerate(inits):
        mine = {r["figure"]: r for r in rows if r["init"] == init}
        means = [mine[f]["mean"] for f in figures]
        errors = [[abs(mine[f][bound] - m) if mine[f][bound] == mine[f][bound] else 0  # nan: one seed, no bar
                   for f, m in zip(figures, means)] for bound in ("ci_low", "ci_high")]
        ax.bar([j + (i - (len(inits) - 1) / 2) * width for j in range(len(figures))], means, width, yerr=errors,
               capsize=4, label=init)
    ax.set_xticks(range(len(figures)), figures)
    ax.set_ylabel("top-1 (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the bars, never over them
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
