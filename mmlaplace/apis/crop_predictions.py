"""Run a top-down model on dataset samples and return everything in the input crop's frame."""
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.dataset import BaseDataset, pseudo_collate
from mmengine.model import BaseModel

from ..structures.crop_geometry import image_to_crop
from ..visualization.crop_samples import sample_to_crop

__all__ = ['image_to_crop', 'predict_crops']  # image_to_crop: re-exported (crop_geometry)


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
    # one mapping for this API and the visualization hook
    return [sample_to_crop(inputs, sample) for inputs, sample in zip(batch['inputs'], samples)]

