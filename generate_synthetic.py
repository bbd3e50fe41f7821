"""Generate synthetic videos: python generate_synthetic.py --type fractal --samples 100 --dir_out data/fractal"""
import sys

from src.synthetic.args import build_parser, validate
from src.utils.cli import run_cli


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> None:
        validate(args)
        from src.synthetic.runner import run
        run(args)
    return run_cli("generate_synthetic.py", body,
                   "complete files are kept; run the same command again to resume.")


if __name__ == "__main__":
    sys.exit(main())
