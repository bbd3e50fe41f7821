"""Prepare a dataset: python prepare_data.py --dataset hmdb51 --root data"""
import sys

from src.prepare_data.args import build_parser, validate
from src.utils.cli import run_cli


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        from src.prepare_data.runner import run
        run(validate(args))
    return run_cli("prepare_data.py", body,
                   "downloads and extracted archives are kept; run the same command to continue.")


if __name__ == "__main__":
    sys.exit(main())
