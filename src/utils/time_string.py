"""Time budgets written like ``2h30m`` (generation --time, training TIME_LIMIT)."""
import re

_TOKEN = re.compile(r"(\d+)([hms])")


def parse_time(text: str) -> int:
    """Seconds in a string of <digits><unit> tokens (units h, m, s; each at most once, any order; m, s < 60).

    Raises ValueError naming the problem for anything else.
    """
    if not isinstance(text, str) or not re.fullmatch(r"(\d+[hms])+", text):
        raise ValueError(f"invalid time {text!r}: use tokens like 2h30m, 45m or 30s (units h, m, s)")
    values: dict[str, int] = {}
    for digits, unit in _TOKEN.findall(text):
        if unit in values:
            raise ValueError(f"invalid time {text!r}: unit '{unit}' appears twice")
        values[unit] = int(digits)
    for unit in "ms":
        if values.get(unit, 0) >= 60:
            raise ValueError(f"invalid time {text!r}: {'minutes' if unit == 'm' else 'seconds'} must be < 60")
    return values.get("h", 0) * 3600 + values.get("m", 0) * 60 + values.get("s", 0)


def format_hms(seconds: float) -> str:
    """H:MM:SS."""
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
