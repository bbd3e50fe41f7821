"""TSM: temporal shift, shapes, heads, Kinetics checkpoints."""
import pytest
import torch

from src.models.temporal_shift import temporal_shift
from src.models.tsm import TSM
from src.train.checkpoint import CheckpointError
from src.train.init_weights import load_kinetics


def test_shift_moves_one_eighth_of_the_channels_each_way():
    b, t, c = 2, 4, 16
    x = torch.arange(b * t * c, dtype=torch.float32).view(b * t, c, 1, 1) + 1  # no zeros in the input
    out = temporal_shift(x, n_segment=t).view(b, t, c)
    x = x.view(b, t, c)
    f = c // 8
    assert torch.equal(out[:, :-1, :f], x[:, 1:, :f]) and (out[:, -1, :f] == 0).all()  # from frame t+1
    assert torch.equal(out[:, 1:, f:2 * f], x[:, :-1, f:2 * f]) and (out[:, 0, f:2 * f] == 0).all()  # from t−1
    assert torch.equal(out[:, :, 2 * f:], x[:, :, 2 * f:])  # 6/8 unchanged
    assert not torch.equal(out, x)  # not in place: the input is intact


@pytest.mark.parametrize("base", ["resnet18", "mobilenetv2"])
def test_clips_to_logits(base):
    model = TSM(5, n_segment=4, base=base)
    assert model(torch.randn(2, 3, 4, 32, 32)).shape == (2, 5)
    model.replace_head(7, mlp=True)
    assert model(torch.randn(1, 3, 4, 32, 32)).shape == (1, 7)
    assert isinstance(model.new_fc[1], torch.nn.SiLU)


def test_every_residual_block_is_shifted():
    model = TSM(3, n_segment=8, base="resnet50")
    blocks = [b for stage in (model.base_model.layer1, model.base_model.layer2, model.base_model.layer3,
                              model.base_model.layer4) for b in stage]
    assert len(blocks) == 16 and all(type(b.conv1).__name__ == "TemporalShift" for b in blocks)
    assert isinstance(model.base_model.fc, torch.nn.Dropout) and model.base_model.fc.p == 0.8


def test_official_kinetics_checkpoint_loads_every_backbone_weight(tmp_path):
    """The official file: {'state_dict': {'module.base_model.layer1.0.conv1.net.weight': ..., 'module.new_fc...'}}."""
    source = TSM(400, n_segment=8, base="resnet50")
    official = {"module." + k: v for k, v in source.state_dict().items()}
    assert "module.base_model.layer1.0.conv1.net.weight" in official and "module.new_fc.weight" in official
    torch.save({"epoch": 100, "arch": "resnet50", "state_dict": official}, tmp_path / "kinetics.pth")
    model = TSM(400, n_segment=8, base="resnet50")
    note = load_kinetics(model, str(tmp_path / "kinetics.pth"))
    assert "every backbone weight loaded" in note
    assert torch.equal(model.base_model.layer4[2].conv3.weight, source.base_model.layer4[2].conv3.weight)


def test_a_foreign_checkpoint_is_refused(tmp_path):
    torch.save({"state_dict": {"module.features.0.weight": torch.zeros(1)}}, tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match="matches no backbone weight"):
        load_kinetics(TSM(400, 8, "resnet18"), str(tmp_path / "other.pth"))
