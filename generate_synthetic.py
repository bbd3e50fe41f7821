"""Generate synthetic videos: python generate_synthetic.py --type fractal --samples 100 --dir_out data/fractal"""
import sys

from src.synthetic.args import build_parser, validate


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        validate(args)
    except ValueError as e:
        parser.exit(2, f"{parser.prog}: error: {e}\n")
    from src.synthetic.runner import run
    try:
        run(args)
    except KeyboardInterrupt:
        print("\nInterrupted: complete files are kept; run the same command again to resume.", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
