"""Crop geometry: image <-> crop <-> heatmap frames, the crop frame of a data sample."""
import numpy as np
import pytest
import torch
from mmpose.structures import PoseDataSample

from mmlaplace.structures import (
    crop_frame,
    crop_scales_to_image,
    crop_to_heatmap,
    crop_to_image,
    heatmap_stride,
    heatmap_to_crop,
    image_to_crop,
)


def test_image_crop_round_trip_and_mmpose_formula():
    center, scale = np.array([50.0, 60.0], np.float32), np.array([40.0, 30.0], np.float32)
    crop = np.random.default_rng(0).uniform(0, 20, (7, 2)).astype(np.float32)
    image = crop_to_image(crop, center, scale, (20, 10))
    # MMPose's TopdownPoseEstimator.add_pred_to_datasample
    np.testing.assert_allclose(image, crop / [20, 10] * scale + center - 0.5 * scale, rtol=1e-6)
    np.testing.assert_allclose(image_to_crop(image, center, scale, (20, 10)), crop, atol=1e-5)
    # the crop's corners are the box's
    np.testing.assert_allclose(crop_to_image(np.array([[0.0, 0.0], [20.0, 10.0]]), center,
                                             scale, (20, 10)), [[30, 45], [70, 75]])


def test_scales_are_lengths_and_keep_their_dtype():
    scales = np.array([[1.0, 2.0]], np.float32)
    out = crop_scales_to_image(scales, np.array([[40.0, 30.0]]), (20, 10))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[2.0, 6.0]])
    out64 = crop_scales_to_image(scales.astype(np.float64), [40, 30], [20, 10])
    assert out64.dtype == np.float64
    # a length maps like the difference of two mapped points
    center = np.zeros(2, np.float32)
    a, b = np.array([[3.0, 4.0]]), np.array([[4.0, 6.0]])
    np.testing.assert_allclose(
        crop_scales_to_image(b - a, [40, 30], (20, 10)),
        crop_to_image(b, center, np.array([40, 30]), (20, 10))
        - crop_to_image(a, center, np.array([40, 30]), (20, 10)))


def test_heatmap_crop_numpy_and_torch():
    assert heatmap_stride((16, 12), (64, 24)) == (4.0, 2.0)
    points = np.array([[3.0, 1.5]])
    np.testing.assert_allclose(heatmap_to_crop(points, (16, 12), (64, 24)), [[12.0, 3.0]])
    np.testing.assert_allclose(crop_to_heatmap(np.array([[12.0, 3.0]]), (16, 12), (64, 24)),
                               points)
    t = torch.tensor([[[3.0, 1.5]]], dtype=torch.float64)
    out = heatmap_to_crop(t, (16, 12), (64, 24))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    torch.testing.assert_close(out, torch.tensor([[[12.0, 3.0]]], dtype=torch.float64))
    assert heatmap_to_crop(t, (80, 80), (80, 80)) is t  # stride 1: nothing to compute
    with pytest.raises(ValueError, match='`heatmap_size`'):
        heatmap_stride((16, ), (64, 24))
    with pytest.raises(ValueError, match='`input_size`'):
        heatmap_stride((16, 12), (0, 24))


def test_crop_frame_of_a_data_sample_and_its_errors():
    sample = PoseDataSample(metainfo=dict(input_center=np.array([[50.0, 60.0]]),
                                          input_scale=np.array([[40.0, 30.0]]),
                                          input_size=(20, 10)))
    center, scale, size = crop_frame(sample)
    assert center.dtype == scale.dtype == np.float32 and size == (20, 10)
    np.testing.assert_array_equal(center, [50, 60])
    assert crop_frame(sample.metainfo).input_size == (20, 10)  # a metainfo dict works too
    bare = PoseDataSample(metainfo=dict(input_center=None, input_size=(20, 10)))
    with pytest.raises(ValueError, match=r"lacks \['input_center', 'input_scale'\]"):
        crop_frame(bare)
