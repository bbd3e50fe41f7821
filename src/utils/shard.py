"""``--shard K/N``: this process takes the work items whose number is K modulo N; inside a SLURM array the task
id and count give K and N."""
import argparse
import os


def parse_shard(text: str) -> tuple[int, int]:
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit()) or not 0 <= int(k) < int(n):
        raise argparse.ArgumentTypeError(f"expected K/N with 0 <= K < N, e.g. 0/4; got {text!r}")
    return int(k), int(n)


def shard_from_environment(environ=os.environ) -> tuple[int, int]:
    """(K, N) of a SLURM array task (SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT), else (0, 1)."""
    task, count = environ.get("SLURM_ARRAY_TASK_ID"), environ.get("SLURM_ARRAY_TASK_COUNT")
    if task is None or count is None:
        return 0, 1
    try:
        return parse_shard(f"{task}/{count}")
    except argparse.ArgumentTypeError:
        raise ValueError(f"SLURM_ARRAY_TASK_ID {task} / SLURM_ARRAY_TASK_COUNT {count} is not a shard; give "
                         "--shard K/N (an array --array=0-N-1 numbers its tasks from 0)") from None


def resolve_shard(given: tuple[int, int] | None) -> tuple[int, int]:
    """--shard when given (it must agree with a SLURM array task), else the array task's, else 0/1."""
    array_task = shard_from_environment()
    if given is None:
        return array_task
    if array_task != (0, 1) and array_task != given:
        raise ValueError(f"--shard {given[0]}/{given[1]} contradicts this SLURM array task "
                         f"({array_task[0]}/{array_task[1]}); drop --shard inside an array")
    return given
