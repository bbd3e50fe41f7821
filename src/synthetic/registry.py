"""The generators by --type name."""
from .dead_leaves import DeadLeavesGenerator
from .fractal import FractalGenerator
from .generator import Generator
from .octopus import OctopusGenerator
from .perlin import PerlinGenerator

GENERATORS: dict[str, type[Generator]] = {
    "fractal": FractalGenerator,
    "perlin": PerlinGenerator,
    "octopus": OctopusGenerator,
    "dead_leaves": DeadLeavesGenerator,
}


def get_generator(kind: str) -> Generator:
    return GENERATORS[kind]()
