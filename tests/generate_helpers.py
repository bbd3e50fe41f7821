"""Run generate_synthetic.py as a user would, and read back what it wrote."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def generate(*args, kind: str = "fractal", check: bool = True, **kw) -> subprocess.CompletedProcess:
    import zygote
    done = zygote.run([ROOT / "generate_synthetic.py", "--type", kind, *args], **kw)
    if check and done.returncode:
        raise AssertionError(done.stderr)
    return done


def files(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` but the run's bookkeeping (its settings and the ledger of finished outputs)."""
    from src.synthetic.outputs import LEDGER_DIR, SETTINGS_NAME
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).parts[0] not in (SETTINGS_NAME, LEDGER_DIR)}
