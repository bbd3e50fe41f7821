"""Where each backbone's Kinetics-400 weights are published (for MODEL.KINETICS; nothing is downloaded here)."""
TORCHVISION = "https://download.pytorch.org/models/"
PYTORCHVIDEO = "https://dl.fbaipublicfiles.com/pytorchvideo/model_zoo/kinetics/"

KINETICS_URLS = {
    ("tsm", "resnet50"): "https://hanlab18.mit.edu/projects/tsm/models/"
                         "TSM_kinetics_RGB_resnet50_shift8_blockres_avg_segment8_e100_dense.pth",
    ("tsm", "mobilenetv2"): "https://hanlab18.mit.edu/projects/tsm/models/"
                            "TSM_kinetics_RGB_mobilenetv2_shift8_blockres_avg_segment8_e100_dense.pth",
    **{("x3d", size): f"{PYTORCHVIDEO}X3D_{size}.pyth" for size in ("XS", "S", "M", "L")},
    ("r3d_18", ""): TORCHVISION + "r3d_18-b3b3357e.pth",
    ("mc3_18", ""): TORCHVISION + "mc3_18-a90a0ba3.pth",
    ("r2plus1d_18", ""): TORCHVISION + "r2plus1d_18-91a641e6.pth",
    ("s3d", ""): TORCHVISION + "s3d-d76dad2f.pth",
    ("mvit_v1_b", ""): TORCHVISION + "mvit_v1_b-dbeb1030.pth",
    ("mvit_v2_s", ""): TORCHVISION + "mvit_v2_s-ae3be167.pth",
    ("swin3d_t", ""): TORCHVISION + "swin3d_t-7615ae03.pth",
    ("swin3d_s", ""): TORCHVISION + "swin3d_s-da41c237.pth",
    ("swin3d_b", ""): TORCHVISION + "swin3d_b_1k-24f7c7c6.pth",
}


def kinetics_url(arch: str, variant: str = "") -> str | None:
    """The published Kinetics-400 weights of ``arch`` (``variant``: TSM base or X3D size), or None."""
    return KINETICS_URLS.get((arch, variant if arch in ("tsm", "x3d") else ""))
