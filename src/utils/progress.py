"""Progress bars: tqdm on a terminal; redirected to a file, a few plain lines instead of carriage-return refreshes."""
import io
import sys

from tqdm import tqdm

UNKNOWN_TOTAL_EVERY_S = 30.0  # redirected, with no known total: one line per this many seconds


class _Lines(io.TextIOBase):
    """A file for tqdm when stderr is not a terminal: each refresh becomes one plain line, no carriage returns."""

    def write(self, text: str) -> int:
        text = text.replace("\r", "").strip()
        if text:
            print(text, file=sys.stderr, flush=True)
        return len(text)


def progress(iterable=None, total: float | None = None, lines: int = 10, **tqdm_args) -> tqdm:
    """tqdm over ``iterable`` (or a manual bar with ``total``); redirected, about ``lines`` lines per pass.

    Redirected, postfix updates must pass ``refresh=False`` or each one prints a line.
    """
    if sys.stderr.isatty():
        return tqdm(iterable, total=total, dynamic_ncols=True, **tqdm_args)
    if total:
        pace = {"miniters": max(1, int(total // lines)), "mininterval": 0}
    else:
        pace = {"miniters": 1, "mininterval": UNKNOWN_TOTAL_EVERY_S}
    return tqdm(iterable, total=total, file=_Lines(), ncols=100, maxinterval=float("inf"), **pace, **tqdm_args)
