"""Outer augmentations (docs/augmentations.md): shapes, value ranges, curriculum ends."""
import math

import pytest
import torch
from torchvision.transforms.v2 import functional as F

from src.transform.camera import camera_motion, pan, pan_windows, perspective, ramp, shake, zoom
from src.transform.crops import MEAN, STD
from src.transform.mixup import BackgroundMixup
from src.transform.batch_augment import AugmentSettings, BatchAugment, gaussian_blur, normalise
from src.transform.randaugment import OPS, rand_augment
from src.transform.warp import perspective_grid, warp_clips


@pytest.fixture
def clips():
    torch.manual_seed(0)
    return torch.rand(4, 3, 8, 32, 32)


def test_ramp_runs_from_easy_to_full():
    assert ramp(0.2, 1.0, 0, 100) == 0.2 and ramp(0.2, 1.0, 50, 100) == pytest.approx(0.6)
    assert ramp(0.2, 1.0, 100, 100) == 1.0 and ramp(0.2, 1.0, 10 ** 6, 100) == 1.0


def test_pan_windows_stay_inside_the_enlarged_frame():
    torch.manual_seed(1)
    for step in (0, 100):
        for _ in range(50):
            tops, lefts, d = pan_windows(8, 112, step, 100)
            assert tops.min() >= 0 and lefts.min() >= 0 and tops.max() <= d and lefts.max() <= d
            assert 2 <= len(tops) <= 8
    # at step 0 the duration range is L ~ U{max(2, floor(0.1·T))..same} = 2 frames
    assert {len(pan_windows(8, 112, 0, 100)[0]) for _ in range(20)} == {2}


@pytest.mark.parametrize("fn", [pan, zoom, shake])
def test_camera_motions_keep_shape_and_range(clips, fn):
    for step in (0, 10, 1000):
        out = fn(clips, step, 100)
        assert out.shape == clips.shape
        assert out.min() >= -0.05 and out.max() <= 1.05  # bilinear enlargement: at most slight overshoot


def test_perspective_keeps_shape_and_only_touches_chosen_samples(clips):
    assert perspective(clips, 0.0) is clips
    out = perspective(clips, 1.0)
    assert out.shape == clips.shape and 0 <= out.min() and out.max() <= 1
    assert not torch.equal(out, clips)


def test_camera_motion_with_zero_probabilities_changes_nothing(clips):
    assert torch.equal(camera_motion(clips, 5, 10, 0.0, 0.0, 0.0), clips)


@pytest.mark.parametrize("name", list(OPS))
def test_each_randaugment_op_keeps_shape_and_range(name, clips):
    out = OPS[name](clips, torch.tensor([1.0, 0.5, 0.2, 0.0]), torch.tensor([1.0, -1.0, 1.0, -1.0]))
    assert out.shape == clips.shape and out.min() >= 0 and out.max() <= 1


def test_randaugment_applies_the_same_ops_to_every_frame_of_a_clip():
    frames = torch.rand(6, 3, 1, 32, 32).expand(-1, -1, 8, -1, -1).clone()
    out = rand_augment(frames, magnitude=10, n_ops=14)
    assert torch.allclose(out, out[:, :, :1].expand_as(out)) and not torch.allclose(out, frames)


@pytest.mark.parametrize("name,reference", [
    ("auto_contrast", lambda x, f: F.autocontrast(x)),
    ("equalize", lambda x, f: F.equalize(x)),
    ("brightness", lambda x, f: F.adjust_brightness(x, f)),
    ("contrast", lambda x, f: F.adjust_contrast(x, f)),
    ("saturation", lambda x, f: F.adjust_saturation(x, f)),
    ("sharpness", lambda x, f: F.adjust_sharpness(x, f)),
])
def test_batched_colour_ops_match_torchvision_per_clip(name, reference, clips):
    level, sign = torch.tensor([1.0, 0.5, 0.2, 0.7]), torch.tensor([1.0, -1.0, 1.0, -1.0])
    out = OPS[name](clips, level, sign)
    for i in range(len(clips)):
        expected = reference(clips[i].transpose(0, 1), float(1 + sign[i] * 0.9 * level[i])).transpose(0, 1)
        assert torch.allclose(out[i], expected, atol=1e-5), (name, i)


def test_batched_geometric_ops_match_torchvision_per_clip(clips):
    level, sign = torch.tensor([1.0, 0.5, 0.2, 0.7]), torch.tensor([1.0, -1.0, 1.0, -1.0])
    nearest = F.InterpolationMode.NEAREST
    rotated, sheared, moved = (OPS[n](clips, level, sign) for n in ("rotate", "shear_x", "translate_y"))
    for i in range(len(clips)):
        frames, m, s = clips[i].transpose(0, 1), float(level[i]), float(sign[i])
        assert torch.equal(rotated[i], F.rotate(frames, s * 30 * m, nearest, fill=0.0).transpose(0, 1))
        shear = math.degrees(math.atan(s * 0.3 * m))
        assert torch.equal(sheared[i], F.affine(frames, 0.0, [0, 0], 1.0, [shear, 0.0], nearest,
                                                fill=0.0).transpose(0, 1))
        offset = round(s * 0.45 * m * 32)
        assert torch.equal(moved[i], F.affine(frames, 0.0, [0, offset], 1.0, [0.0, 0.0], nearest,
                                              fill=0.0).transpose(0, 1))


def test_batched_blur_matches_torchvision_per_clip(clips):
    sigmas = torch.tensor([0.1, 0.7, 1.3, 1.99])
    out = gaussian_blur(clips, sigmas)
    for i, sigma in enumerate(sigmas.tolist()):
        expected = F.gaussian_blur(clips[i].transpose(0, 1), [3, 3], [sigma, sigma]).transpose(0, 1)
        assert torch.allclose(out[i], expected, atol=1e-6)


def test_batched_perspective_matches_torchvision():
    frames = torch.rand(3, 3, 32, 32)
    start, end = [[0, 0], [31, 0], [31, 31], [0, 31]], [[3, 2], [29, 5], [30, 28], [1, 30]]
    ours = warp_clips(frames.transpose(0, 1)[None], perspective_grid(start, end, 32, 32, frames.device),
                      as_torchvision=True)
    expected = F.perspective(frames, start, end, F.InterpolationMode.BILINEAR, fill=0.0)
    assert torch.allclose(ours[0].transpose(0, 1), expected, atol=1e-5)


def test_outer_transform_without_augmentation_only_normalises(clips):
    plain = BatchAugment(AugmentSettings(hor_flip=False, auto_augment_m=0, prob_blur=0.0))
    out = plain(clips, 0)
    assert torch.allclose(out, normalise(clips))
    mean = torch.tensor(MEAN).view(1, 3, 1, 1, 1)
    assert torch.allclose(out * torch.tensor(STD).view(1, 3, 1, 1, 1) + mean, clips, atol=1e-6)


def test_outer_transform_with_everything_keeps_shape(clips):
    full = BatchAugment(AugmentSettings(prob_perspective=0.8, prob_shift=0.5, prob_zoom=0.5, prob_shake=0.5,
                                      curriculum_steps=10))
    for step in (0, 100):
        assert full(clips, step).shape == clips.shape


def test_mixup_keeps_shape_and_range(clips):
    mixup = BackgroundMixup(32, curriculum_steps=10, prob_scale=1.0, prob_shift=0.5, prob_clone=1.0)
    for step in (0, 5, 100):
        out = mixup(clips, step)
        assert out.shape == clips.shape and out.min() >= 0 and out.max() <= 1


def test_foreground_is_not_shrunk_at_the_start_of_the_curriculum(clips):
    """s_min = 1 − 0.7·step/n_steps: 1 at step 0 (factors U[1, 1)), 0.3 at the end of the curriculum."""
    mixup = BackgroundMixup(32, curriculum_steps=10, prob_scale=1.0)
    assert torch.allclose(mixup.scale(clips, 0), clips, atol=1e-5)
    shrunk = mixup.scale(clips, 10)
    assert (shrunk == 0).float().mean() > 0.05  # cleared borders around the pasted smaller clip
