"""The TSM authors' MobileNetV2 names its layers differently from torchvision's, which TSM uses here: their
inverted-residual block is one flat Sequential (conv, BN, ReLU6, ...), torchvision's groups each conv with its BN
(``features.3.conv.0.weight`` there is ``features.3.conv.0.0.weight`` here). Their checkpoints (the TSM Kinetics
file, the original fractal project's) are renamed to this layout before loading."""
import re

# position in their flat block -> position here, for blocks with an expansion layer (8 modules) and without (5)
EXPANDING = {"0": "0.0", "1": "0.1", "3": "1.0", "4": "1.1", "6": "2", "7": "3"}
DEPTHWISE_ONLY = {"0": "0.0", "1": "0.1", "3": "1", "4": "2"}
BLOCK_KEY = re.compile(r"(.*features\.\d+\.conv\.)(\d+)\.((?:net\.)?)(\w+)$")


def is_authors_layout(weights: dict) -> bool:
    """True if the MobileNetV2 weights name the block layers the TSM authors' way (``conv.6`` or ``conv.0.weight``
    exist only there)."""
    return any(re.search(r"features\.\d+\.conv\.(6\.|0\.(net\.)?weight$)", k) for k in weights)


def _without_shift(key: str) -> str:
    return key.replace(".net.", ".")


def from_authors_layout(weights: dict, own_keys: list[str]) -> dict:
    """Their weights under the names of a model whose state_dict has ``own_keys`` (a TSM MobileNetV2 here, shifted
    or not: the shift wrapper's ``.net`` sits at another depth in each layout and is matched by position)."""
    expanding = {m[1] for k in weights if (m := BLOCK_KEY.match(k)) and m[2] == "6"}
    own = {_without_shift(k): k for k in own_keys}
    out = {}
    for key, value in weights.items():
        m = BLOCK_KEY.match(key)
        if m:
            table = EXPANDING if m[1] in expanding else DEPTHWISE_ONLY
            key = f"{m[1]}{table.get(m[2], m[2])}.{m[4]}"
        out[own.get(_without_shift(key), key)] = value
    return out
