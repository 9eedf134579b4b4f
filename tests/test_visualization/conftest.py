"""Fixtures of the visualization tests: fake model outputs."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData, PixelData
from mmpose.structures import PoseDataSample

K = 4


def make_sample(crop_points, center=(50.0, 60.0), scale=(40.0, 40.0), size=(20, 20),
                heatmaps=True, scales=True, gt=True):
    """A model output whose keypoints are ``crop_points`` mapped into the original image."""
    center, scale = np.asarray(center, np.float32), np.asarray(scale, np.float32)
    image_points = crop_points / np.asarray(size) * scale + center - scale / 2
    sample = PoseDataSample(metainfo=dict(input_center=center, input_scale=scale,
                                          input_size=size, img_path='dir/face.png'))
    pred = InstanceData(keypoints=image_points[None].astype(np.float32),
                        keypoint_scores=np.ones((1, K), np.float32))
    if scales:
        pred.keypoint_scales = np.full((1, K, 2), 1.25, np.float32)
    sample.pred_instances = pred
    if gt:
        sample.gt_instances = InstanceData(keypoints=(image_points + 2)[None])
    if heatmaps:
        sample.pred_fields = PixelData(heatmaps=torch.rand(K, size[1], size[0]))
    return sample


@pytest.fixture(name='make_sample')
def make_sample_fixture():
    """``make_sample(crop_points, ...)``: a fake top-down output (see :func:`make_sample`)."""
    return make_sample
