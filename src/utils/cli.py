"""What the five scripts share: one-line argument errors (exit 2), both flag spellings, interrupt handling."""
import argparse
import errno
import sys
from typing import Callable


class UserError(ValueError):
    """Bad input the user can fix; the message is one line naming the problem and the fix."""


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line (no usage dump), exit code 2. Every ``--long_flag`` is also accepted as
    ``--long-flag`` and the other way round; help shows the documented spelling only."""

    def add_argument(self, *names, **kwargs):
        action = super().add_argument(*names, **kwargs)
        for name in names:
            if name.startswith("--"):
                twin = "--" + (name[2:].replace("_", "-") if "_" in name else name[2:].replace("-", "_"))
                if twin != name and twin not in self._option_string_actions:
                    self._option_string_actions[twin] = action
        return action

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def run_cli(prog: str, body: Callable[[], None], interrupted_hint: str | None) -> int:
    """Run ``body``: a ValueError (bad config, dataset, checkpoint) or an error of the operating system (no space,
    permissions, I/O) prints ``<prog>: error: ...`` on one line and gives exit code 2; Ctrl-C prints
    ``interrupted_hint`` and gives 130."""
    try:
        body()
    except ValueError as e:  # UserError, DatasetError, CheckpointError, ClassFileError are ValueErrors
        print(f"{prog}: error: {one_line(str(e))}", file=sys.stderr)
        return 2
    except OSError as e:
        if e.errno is None:
            raise
        print(f"{prog}: error: {os_error_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if interrupted_hint is None:
            print("\nInterrupted.", file=sys.stderr)
        else:
            print(f"\nInterrupted: {interrupted_hint}", file=sys.stderr)
        return 130
    return 0


def os_error_line(e: OSError) -> str:
    """The path, the system's reason and what to do about it."""
    where = e.filename or "a file"
    if e.errno == errno.ENOSPC or e.errno == errno.EDQUOT:
        return f"cannot write {where}: {e.strerror}; free some space (or choose another folder) and run again"
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {where}: {e.strerror}; choose another folder"
    if e.errno == errno.ENOENT:
        return f"{where} does not exist ({e.strerror}); check the path"
    return f"{where}: {e.strerror}; check the path and the disk, then run again"


def one_line(text: str) -> str:
    return " ".join(text.split())
