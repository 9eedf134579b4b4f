"""Run a top-down model on dataset samples and return everything in the input crop's frame."""
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.dataset import BaseDataset, pseudo_collate
from mmengine.model import BaseModel


def image_to_crop(points: np.ndarray, center: np.ndarray, scale: np.ndarray,
                  input_size: Sequence[int]) -> np.ndarray:
    """Map (K, 2) image coordinates into the (unrotated) top-down input crop.

    The inverse of MMPose's ``TopdownPoseEstimator.add_pred_to_datasample`` mapping
    ``x_img = x_crop / input_size * scale + center - scale / 2``.
    """
    size = np.asarray(input_size, dtype=np.float32)
    return (points - center + 0.5 * scale) / scale * size


@torch.no_grad()
def predict_crops(model: BaseModel, dataset: BaseDataset,
                  indices: Sequence[int]) -> List[Dict[str, np.ndarray]]:
    """Predict landmarks, scales and heatmaps for some samples of a (test-mode) dataset.

    Args:
        model (BaseModel): A top-down pose estimator whose head is :class:`SoftArgmaxHead`.
        dataset (BaseDataset): A dataset whose pipeline ends in ``PackPoseInputs``.
        indices (Sequence[int]): Which samples.

    Returns:
        list[dict]: per sample ``image`` (H, W, 3) RGB crop, ``heatmaps`` (K, h, w), ``pred``
        (K, 2), ``scales`` (K, 2) and ``gt`` (K, 2), all in crop pixels, and ``img_path``.
    """
    model.eval()
    test_cfg = dict(model.test_cfg or {})
    model.test_cfg = dict(test_cfg, output_heatmaps=True, flip_test=False)
    try:
        batch = pseudo_collate([dataset[i] for i in indices])
        samples = model.test_step(batch)
    finally:
        model.test_cfg = test_cfg
    out = []
    for inputs, sample in zip(batch['inputs'], samples):
        meta = sample.metainfo
        center = np.asarray(meta['input_center'], np.float32).reshape(2)
        scale = np.asarray(meta['input_scale'], np.float32).reshape(2)
        size = meta['input_size']
        image = inputs.numpy().transpose(1, 2, 0)[..., ::-1].copy()  # BGR CHW -> RGB HWC
        out.append(dict(
            image=image,
            img_path=meta.get('img_path', ''),
            heatmaps=sample.pred_fields.heatmaps.cpu().numpy(),
            pred=image_to_crop(sample.pred_instances.keypoints[0], center, scale, size),
            scales=np.asarray(sample.pred_instances.keypoint_scales[0]),
            gt=image_to_crop(np.asarray(sample.gt_instances.keypoints[0]), center, scale, size),
        ))
    return out
