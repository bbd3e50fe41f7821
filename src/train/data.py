"""What both training tasks and the probes build from the configuration's DATA section."""
from yacs.config import CfgNode

from ..data.datasets import ClipSpec


def clip_spec(cfg: CfgNode) -> ClipSpec:
    d = cfg.DATA
    return ClipSpec(d.CLIP_LENGTH, d.STRIDE, d.VAL_MIN_STEPS, d.VAL_MAX_SEGS)
