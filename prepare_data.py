"""Prepare a dataset: python prepare_data.py --dataset hmdb51 --root data"""
import sys

from src.prepare_data.args import build_parser, validate
from src.prepare_data.download import DownloadError
from src.prepare_data.extract import ArchiveError
from src.prepare_data.runner import run
from src.prepare_data.workspace import PrepareError


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        run(validate(args))
    except (ValueError, PrepareError, DownloadError, ArchiveError) as e:
        parser.exit(2, f"{parser.prog}: error: {e}\n")
    except KeyboardInterrupt:
        print("\nInterrupted: downloads and extracted archives are kept; run the same command to continue.",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
