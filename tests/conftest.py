"""Where no GPU is visible, the chaos-game kernel runs in Triton's interpreter (on the CPU). Triton reads the
choice when it is first imported, so it is made here, before any test imports it; the scripts a test starts
inherit it.

The test zygote (tests/zygote.py) forks a run only while the environment is the one its server imported with, so
the server starts first, from this clean environment, and whatever a test or an in-process run sets in
``os.environ`` (PYTHONHASHSEED from the engine's seeding, say) ends with that test: it would otherwise stop every
later run of that worker from forking."""
import os

import pytest
import torch

import zygote

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")


@pytest.fixture(autouse=True)
def environment_of_its_own():
    zygote.zygote()  # started once per worker, before any test changes the environment
    saved = dict(os.environ)
    yield
    if os.environ != saved:
        os.environ.clear()
        os.environ.update(saved)
