"""sample_to_crop: model outputs mapped back into the input crop's frame."""
import numpy as np
import pytest
import torch
from mmpose.structures import PoseDataSample

from mmlaplace.visualization import sample_to_crop

K = 4


def test_points_come_back_to_crop_pixels(make_sample):
    points = np.random.default_rng(0).uniform(0, 20, (K, 2)).astype(np.float32)
    inputs = torch.zeros(3, 20, 20, dtype=torch.uint8)
    inputs[0] = 255  # BGR: blue channel
    crop = sample_to_crop(inputs, make_sample(points))
    np.testing.assert_allclose(crop['pred'], points, atol=1e-4)
    np.testing.assert_allclose(crop['gt'], points + 2 * 20 / 40, atol=1e-4)  # 2 image px
    np.testing.assert_allclose(crop['scales'], 1.25)
    assert crop['heatmaps'].shape == (K, 20, 20) and isinstance(crop['heatmaps'], np.ndarray)
    assert crop['image'].shape == (20, 20, 3) and crop['image'].dtype == np.uint8
    assert crop['image'][..., 2].min() == 255 and crop['image'][..., 0].max() == 0  # -> RGB
    assert crop['img_path'] == 'dir/face.png'


def test_optional_fields_and_errors(make_sample):
    points = np.full((K, 2), 10.0, np.float32)
    inputs = torch.zeros(3, 20, 20, dtype=torch.uint8)
    crop = sample_to_crop(inputs, make_sample(points, scales=False, gt=False))
    assert crop['scales'] is None and crop['gt'] is None
    with pytest.raises(ValueError, match='output_heatmaps=True'):
        sample_to_crop(inputs, make_sample(points, heatmaps=False))
    with pytest.raises(ValueError, match=r'\(3, H, W\)'):
        sample_to_crop(inputs[None], make_sample(points))
    bare = make_sample(points)
    bare.set_metainfo(dict(input_center=None))
    bare = PoseDataSample(metainfo=dict(img_path='x.png'), pred_instances=bare.pred_instances,
                          pred_fields=bare.pred_fields)
    with pytest.raises(ValueError, match='input_center'):
        sample_to_crop(inputs, bare)
