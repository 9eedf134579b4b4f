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
        list[dict]: per sample ``image`` (H, W, 3) uint8 RGB crop, ``heatmaps`` (K, h, w),
        ``pred`` (K, 2), ``scales`` (K, 2) and ``gt`` (K, 2) (None without annotations), all in
        crop pixels, and ``img_path`` (see :func:`mmlaplace.visualization.sample_to_crop`).
    """
    model.eval()
    test_cfg = dict(model.test_cfg or {})
    model.test_cfg = dict(test_cfg, output_heatmaps=True, flip_test=False)
    try:
        batch = pseudo_collate([dataset[i] for i in indices])
        samples = model.test_step(batch)
    finally:
        model.test_cfg = test_cfg
    # one mapping for this API and the visualization hook (lazy: visualization imports this)
    from ..visualization.crop_samples import sample_to_crop
    return [sample_to_crop(inputs, sample) for inputs, sample in zip(batch['inputs'], samples)]

