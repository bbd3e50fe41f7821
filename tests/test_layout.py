"""The package layering: models at the bottom, no package cycles, light imports for the training config."""
import ast
import subprocess
import sys

from generate_helpers import ROOT

SRC = ROOT / "src"


def package_imports() -> dict[str, set[str]]:
    """For each ``src`` subpackage, the other ``src`` subpackages its modules import."""
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        package = path.relative_to(SRC).parts[0]
        if package.endswith(".py"):
            continue
        targets = graph.setdefault(package, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
                targets.add(node.module.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("src."):
                targets.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                targets.update(a.name.split(".")[1] for a in node.names if a.name.startswith("src."))
        targets.discard(package)
    return graph


def test_models_import_nothing_else_from_src():
    assert package_imports()["models"] == set()


def test_no_package_cycles():
    graph = package_imports()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph.get(start, ()))
    cycles = sorted(p for p in graph if reaches(p, p, {p}))
    assert cycles == [], f"packages in an import cycle: {cycles}"


def test_every_package_is_a_package():
    assert all((d / "__init__.py").exists() for d in SRC.iterdir() if d.is_dir() and d.name != "__pycache__")


def test_the_training_config_does_not_load_the_generators():
    code = "import sys, src.train.config; print(sorted(m for m in ('numba', 'cv2', 'scipy') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_no_document_outside_the_repository_is_cited():
    cited = [str(p.relative_to(ROOT)) for p in [*SRC.rglob("*.py"), *(ROOT / "tests").glob("*.py")]
             if any(mark in p.read_text() for mark in ("spec/" + "generation.md", "spec/" + "training.md",
                                                        "\u00a7"))]  # the section sign
    assert cited == []
    assert all((ROOT / "docs" / name).exists() for name in ("generators.md", "datasets.md", "augmentations.md",
                                                            "training.md"))
