"""Turn a model's test output into numpy arrays in the input crop's frame, ready to draw."""
from typing import Any, Dict

import numpy as np
import torch
from mmpose.structures import PoseDataSample

from ..structures.crop_geometry import crop_frame, image_to_crop

MISSING_HEATMAPS = (
    'the predictions carry no heatmaps (data_sample.pred_fields.heatmaps): set '
    'model.test_cfg.output_heatmaps=True in the config, e.g. '
    '--cfg-options model.test_cfg.output_heatmaps=True')


def sample_to_crop(inputs: torch.Tensor, data_sample: PoseDataSample, bgr: bool = True,
                   instance: int = 0) -> Dict[str, Any]:
    """Collect one predicted face in the model's input crop.

    MMPose's top-down estimator maps predicted keypoints back to the original image; this maps
    them (and the ground truth) into the affine-warped input crop again, where the heatmaps
    and the per-landmark Laplace scales live.

    Args:
        inputs (torch.Tensor): The crop fed to the model (3, H, W), as the dataloader gives it
            (before the data preprocessor: uint8, BGR unless ``bgr=False``).
        data_sample (PoseDataSample): The model's output for that crop, with
            ``pred_instances.keypoints`` (N, K, 2), optionally ``pred_instances.keypoint_scales``
            (N, K, 2) in input pixels, and ``pred_fields.heatmaps`` (K, h, w)
            (``test_cfg.output_heatmaps=True``).
        bgr (bool): Whether ``inputs`` is BGR (MMPose's ``LoadImage`` default).
        instance (int): Which instance of ``pred_instances``.

    Returns:
        dict: ``image`` (H, W, 3) uint8 RGB crop, ``heatmaps`` (K, h, w), ``pred`` (K, 2),
        ``scales`` (K, 2) or None when the head predicts none, ``gt`` (K, 2) or None without
        annotations, all in crop pixels, and ``img_path``. The same keys as
        :func:`mmlaplace.apis.predict_crops`.

    Raises:
        ValueError: When the heatmaps or the crop's meta information are missing.
    """
    if inputs.ndim != 3 or inputs.shape[0] != 3:
        raise ValueError(f'inputs must be one (3, H, W) crop, got shape {tuple(inputs.shape)}')
    pred_fields = data_sample.get('pred_fields', None)
    if pred_fields is None or 'heatmaps' not in pred_fields:
        raise ValueError(MISSING_HEATMAPS)
    meta = data_sample.metainfo
    center, scale, size = crop_frame(data_sample, instance)
    image = inputs.detach().cpu().numpy().transpose(1, 2, 0)
    if bgr:
        image = image[..., ::-1]
    image = np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8))

    pred = data_sample.pred_instances
    scales = pred.get('keypoint_scales', None)
    gt = None
    gt_instances = data_sample.get('gt_instances', None)
    if gt_instances is not None and 'keypoints' in gt_instances and len(gt_instances) > 0:
        gt = image_to_crop(_numpy(gt_instances.keypoints)[instance], center, scale, size)
    heatmaps = pred_fields.heatmaps
    return dict(
        image=image,
        img_path=meta.get('img_path', ''),
        heatmaps=_numpy(heatmaps),
        pred=image_to_crop(_numpy(pred.keypoints)[instance], center, scale, size),
        scales=None if scales is None else _numpy(scales)[instance].astype(np.float32),
        gt=gt,
    )


def _numpy(x: Any) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().float().numpy()
    return np.asarray(x)
