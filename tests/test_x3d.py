"""X3D written here equals pytorchvideo's create_x3d: the same state_dict keys and shapes for every size, and the
same outputs on the same weights and input (recorded once from pytorchvideo 0.1.5: tests/fixtures/x3d/record.py)."""
import json
from pathlib import Path

import pytest
import torch

from src.models.x3d import SIZES, X3D
from src.train.init_weights import load_kinetics
from x3d_reference import N_CLASSES, clip, fill, key_digest

GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "x3d" / "golden.json").read_text())


@pytest.mark.parametrize("size", SIZES)
def test_state_dict_keys_and_shapes_equal_pytorchvideos(size):
    model = X3D(N_CLASSES, size)
    assert len(model.state_dict()) == GOLDEN[size]["n_keys"]
    assert key_digest(model) == GOLDEN[size]["keys"]
    assert sum(p.numel() for p in model.parameters()) == GOLDEN[size]["parameters"]


@pytest.mark.parametrize("size", ["XS", "L"])
def test_forward_pass_equals_pytorchvideos(size):
    model = X3D(N_CLASSES, size).eval()
    fill(model)
    with torch.no_grad():
        out = model(clip())
    assert torch.allclose(out, torch.tensor(GOLDEN[size]["output"]), rtol=1e-4, atol=1e-5)


def test_model_zoo_checkpoint_loads_by_name(tmp_path):
    """pytorchvideo's model zoo files hold the weights under 'model_state', 400-class head included."""
    source = X3D(400, "XS")
    fill(source)
    torch.save({"model_state": source.state_dict(), "epoch": 300}, tmp_path / "X3D_XS.pyth")
    model = X3D(5, "XS")
    note = load_kinetics(model, str(tmp_path / "X3D_XS.pyth"))
    assert "every backbone weight loaded" in note
    assert torch.equal(model.blocks[2].res_blocks[0].branch2.conv_b.weight,
                       source.blocks[2].res_blocks[0].branch2.conv_b.weight)
    assert model.blocks[-1].proj.out_features == 5
