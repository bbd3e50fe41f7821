"""Where no GPU is visible, the chaos-game kernel runs in Triton's interpreter (on the CPU). Triton reads the
choice when it is first imported, so it is made here, before any test imports it; the scripts a test starts
inherit it."""
import os

import torch

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")
