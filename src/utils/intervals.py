"""95 % intervals: bootstrap over validation videos (a probe's accuracy), Student's t over seeds (a mean of runs)."""
import numpy as np

LEVEL = 0.95
RESAMPLES = 2000


def bootstrap_percent(correct: np.ndarray, seed: int) -> tuple[float, float]:
    """Percentile bootstrap interval of the percentage of True in ``correct`` (one entry per video)."""
    correct = np.asarray(correct, dtype=np.float64)
    if len(correct) < 2 or correct.min() == correct.max():
        value = float(100 * correct.mean()) if len(correct) else float("nan")
        return value, value
    from scipy import stats  # imported where used: a second of start-up for every training run otherwise
    result = stats.bootstrap((correct,), np.mean, confidence_level=LEVEL, n_resamples=RESAMPLES,
                             method="percentile", vectorized=True, rng=np.random.default_rng(seed))
    return float(100 * result.confidence_interval.low), float(100 * result.confidence_interval.high)


def mean_interval(values: list[float]) -> tuple[float, float, float]:
    """(mean, low, high): Student's t interval of the mean; (mean, nan, nan) for a single value."""
    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean()) if len(values) else float("nan")
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    from scipy import stats
    half = float(stats.t.ppf(0.5 + LEVEL / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return mean, mean - half, mean + half
