"""torchvision's video models through the registry: every backbone builds and trains a step, swaps its head,
loads torchvision's Kinetics-400 weights by name, and refuses clips it cannot take before anything is written."""
import pytest
import torch

from cfg.defaults import defaults
from src.models.registry import MODELS, build_model, input_problem, memory_format_of
from src.models.video3d import TORCHVISION, TorchvisionVideo
from src.train.engine import place
from src.train.init_weights import encoder_factory, load_kinetics, ssl_model
from src.ssl.build import fine_tuning_encoder
from train_helpers import TINY_CLIPS, evaluation_opts, make_dataset, run_in_process, run_script

# the smallest clip each family takes (frames, pixels)
SIZES = {"s3d": (16, 224), "mvit_v1_b": (16, 224), "mvit_v2_s": (16, 224)}
LIGHT = ["r3d_18", "mc3_18", "r2plus1d_18", "swin3d_t"]


def test_every_torchvision_video_model_is_registered():
    assert set(TORCHVISION) <= set(MODELS) and "tsm" in MODELS


@pytest.mark.parametrize("arch", [a for a in TORCHVISION if a not in LIGHT])
@pytest.mark.slow
def test_heavy_backbones_build_and_train_a_step(arch):
    _one_step(arch)


@pytest.mark.parametrize("arch", LIGHT)
def test_backbones_build_and_train_a_step(arch):
    _one_step(arch)


def _one_step(arch):
    frames, size = SIZES.get(arch, (4, 32))
    torch.manual_seed(0)
    model = build_model(arch, 5, frames)
    out = model(torch.randn(1, 3, frames, size, size))
    assert out.shape == (1, 5)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)
    model.replace_head(7, mlp=True)
    assert model(torch.randn(1, 3, frames, size, size)).shape == (1, 7) and model.feature_dim > 0


@pytest.mark.parametrize("arch", TORCHVISION)
def test_torchvision_kinetics_weights_load_every_backbone_weight(arch, tmp_path):
    """The file is what torchvision publishes: the model's own state_dict, 400-class head included."""
    with torch.device("meta"):
        keys = {k: v.shape for k, v in getattr(__import__("torchvision.models.video", fromlist=[arch]),
                                               arch)(weights=None).state_dict().items()}
    model = TorchvisionVideo(arch, 3)
    official = {k: torch.full(shape, 0.5) for k, shape in keys.items()}
    torch.save(official, tmp_path / "kinetics.pth")
    note = load_kinetics(model, str(tmp_path / "kinetics.pth"))
    assert "every backbone weight loaded" in note
    head = "net." + model.head_path + "."
    loaded = {k: v for k, v in model.state_dict().items() if not k.startswith(head)}
    assert loaded and all(torch.all(v == 0.5) for k, v in loaded.items() if v.is_floating_point())


def test_a_kinetics_file_of_another_model_is_refused(tmp_path):
    torch.save(TorchvisionVideo("mc3_18", 400).net.state_dict(), tmp_path / "mc3.pth")
    with pytest.raises(ValueError, match="does not fit r3d_18"):
        load_kinetics(TorchvisionVideo("r3d_18", 3), str(tmp_path / "mc3.pth"))


def test_clips_a_model_cannot_take_are_named():
    assert input_problem("r3d_18", 8, 112) is None
    assert "224 px" in input_problem("s3d", 8, 112) and input_problem("s3d", 16, 224) is None
    assert "16 frames of 224 px" in input_problem("mvit_v2_s", 8, 112)


def test_3d_cnns_train_in_channels_last_3d_and_heads_swap_under_ssl():
    model = place(build_model("r3d_18", 3, 4), torch.device("cpu"), channels_last=True)
    assert memory_format_of(model) == torch.channels_last_3d and model.channels_last
    cfg = defaults()
    cfg.MODEL.ARCH, cfg.DATA.CLIP_LENGTH, cfg.MOCO.K = "mc3_18", 4, 8
    moco = ssl_model(cfg, encoder_factory(cfg), 1)
    x = torch.randn(2, 3, 4, 32, 32)
    logits, _ = moco(x, x, torch.arange(2), 0)
    assert logits.shape == (2, 9)
    encoder = fine_tuning_encoder(moco, 5)
    assert encoder(x).shape == (2, 5) and isinstance(encoder.net.fc, torch.nn.Linear)


@pytest.mark.parametrize("opts,message", [
    (["MODEL.ARCH", "i3d"], "MODEL.ARCH 'i3d' is not one of tsm, x3d, r3d_18"),
    (["MODEL.ARCH", "x3d", "MODEL.X3D_SIZE", "XXL"], "MODEL.X3D_SIZE 'XXL' is not one of XS, S, M, L, XL"),
    (["MODEL.ARCH", "s3d", "DATA.IMG_SIZE", "112"], "MODEL.ARCH s3d cannot take clips of 8 frames of 112 px: it "
                                                    "needs at least 16 frames of 224 px"),
    (["MODEL.ARCH", "mvit_v2_s"], "needs 16 frames of 224 px"),
])
def test_architectures_that_cannot_run_exit_2_before_writing(tmp_path, opts, message):
    done = run_in_process("train_sup.py", *opts, "TRAIN.OUTPUT", tmp_path / "out")
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert done.returncode == 2 and len(errors) == 1 and message in errors[0], done.stderr[-800:]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_3d_cnn_pretrains_with_moco_then_fine_tunes_and_evaluates(tmp_path):
    data = make_dataset(tmp_path / "data")
    common = ["DATA.ROOT", data, "DATA.DATASET", "toy", *TINY_CLIPS, "MODEL.ARCH", "mc3_18", "TRAIN.EPOCHS", 1]
    done = run_script("train_ssl.py", *common, "MOCO.K", 64, "TRAIN.OUTPUT", tmp_path / "ssl")
    assert done.returncode == 0, done.stderr[-2000:]
    done = run_script("train_sup.py", *common, "TRAIN.INIT_SSL", tmp_path / "ssl" / "ckpt_last.pth",
                      "TRAIN.OUTPUT", tmp_path / "ft")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "initialised from moco checkpoint" in (tmp_path / "ft" / "log_rank0.txt").read_text()
    done = run_script("val_sup.py", *evaluation_opts(common), "MODEL.RESUME", tmp_path / "ft" / "ckpt_last.pth",
                      "TRAIN.OUTPUT", tmp_path / "val")
    assert done.returncode == 0 and (tmp_path / "val" / "pred_test.csv").exists(), done.stderr[-2000:]
    done = run_script("val_sup.py", *evaluation_opts(common[:-4]), "MODEL.RESUME", tmp_path / "ft" / "ckpt_last.pth",
                      "TRAIN.OUTPUT", tmp_path / "val2")
    assert done.returncode == 2 and "holds a mc3_18; set MODEL.ARCH mc3_18" in done.stderr


@pytest.mark.parametrize("opts,url", [
    ([], "https://hanlab18.mit.edu/projects/tsm/models/TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8"),
    (["MODEL.ARCH", "x3d", "MODEL.X3D_SIZE", "S"],
     "https://dl.fbaipublicfiles.com/pytorchvideo/model_zoo/kinetics/X3D_S.pyth"),
    (["MODEL.ARCH", "r2plus1d_18"], "https://download.pytorch.org/models/r2plus1d_18-91a641e6.pth"),
])
def test_a_missing_kinetics_file_names_where_to_download_it(tmp_path, opts, url):
    from src.train.config import check, merge
    from src.utils.cli import UserError
    cfg = merge([], None, ["MODEL.KINETICS", str(tmp_path / "nothere.pth"), "TRAIN.OUTPUT", str(tmp_path), *opts])
    with pytest.raises(UserError, match="is not a file; download the Kinetics-400 weights of .* from " + url):
        check(cfg, "supervised")


def test_every_torchvision_backbone_has_its_kinetics_address():
    from src.models.kinetics_urls import kinetics_url
    from src.models.registry import MODELS
    from torchvision.models import get_model_weights
    for arch in MODELS:
        if arch not in ("tsm", "x3d"):
            assert kinetics_url(arch) == get_model_weights(arch).DEFAULT.url  # Kinetics-400 for every one
