"""NME of an exported ONNX model (or its PyTorch source) on a config's test set.

The crops come from the config's test pipeline (:mod:`mmlaplace.apis.face_crops`),
predictions are mapped back to the image with the crop's centre and scale (as MMPose's
``TopdownPoseEstimator`` does) and scored with MMPose's :class:`NME` metric, so the PyTorch
number equals ``tools/test.py``'s NME without flip test.
"""
from typing import Callable, Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from torch import nn

from ..structures import crop_geometry as geometry
from ..structures.crop_geometry import crop_frame
from .face_crops import iter_crop_batches
from .onnx_export import LandmarkOnnxWrapper, OnnxInputSpec, onnx_session

# crops (B, 3, H, W) uint8 BGR -> landmark coordinates (B, K, 2) in crop pixels
Predictor = Callable[[np.ndarray], np.ndarray]


def crop_to_image(coords: np.ndarray, data_samples: Sequence) -> np.ndarray:
    """Map (B, K, 2) crop-pixel coordinates to image pixels, per sample's crop frame.

    Each sample's ``input_center`` / ``input_scale`` / ``input_size`` (see
    :func:`mmlaplace.structures.crop_frame`) and
    :func:`mmlaplace.structures.crop_to_image`, as MMPose's top-down estimator maps them.
    """
    out = np.empty_like(coords, dtype=np.float32)
    for i, sample in enumerate(data_samples):
        out[i] = geometry.crop_to_image(coords[i], *crop_frame(sample))
    return out


def onnx_predictor(onnx_file: str, num_threads: Optional[int] = None) -> Predictor:
    """A :data:`Predictor` running an exported file with ONNX Runtime."""
    spec = OnnxInputSpec.from_onnx(onnx_file)
    session = onnx_session(onnx_file, num_threads)

    def predict(crops: np.ndarray) -> np.ndarray:
        return session.run(['coords'], {'image': spec.preprocess(crops)})[0]

    return predict


def torch_predictor(model: nn.Module, spec: OnnxInputSpec) -> Predictor:
    """The same :data:`Predictor` with the PyTorch model (reference numbers)."""
    wrapper = LandmarkOnnxWrapper(model.eval(), spec.input_size, spec.normalize_in_graph)

    @torch.no_grad()
    def predict(crops: np.ndarray) -> np.ndarray:
        return wrapper(torch.from_numpy(spec.preprocess(crops)))[0].numpy()

    return predict


def evaluate_nme(predict: Predictor, dataset: BaseDataset,
                 indices: Optional[Sequence[int]] = None,
                 batch_size: int = 32) -> Dict[str, float]:
    """Inter-ocular NME (MMPose's :class:`NME`, ``keypoint_distance``) of a predictor.

    Args:
        predict (Predictor): Crops (B, 3, H, W) uint8 BGR -> coordinates (B, K, 2).
        dataset (BaseDataset): Test-mode dataset from :func:`build_crop_dataset`.
        indices (Sequence[int], optional): Samples to use; default all.
        batch_size (int): Crops per call. Defaults to 32.

    Returns:
        dict: ``NME`` and ``num_samples``.
    """
    from mmpose.evaluation.metrics import NME
    metric = NME(norm_mode='keypoint_distance')
    metric.dataset_meta = dataset.metainfo
    count = 0
    for crops, samples in iter_crop_batches(dataset, indices, batch_size):
        coords = crop_to_image(np.asarray(predict(crops), np.float32), samples)
        metric.process([], [dict(pred_instances=dict(keypoints=c[None]),
                                 gt_instances=dict(
                                     keypoints=np.asarray(s.gt_instances.keypoints),
                                     keypoints_visible=np.asarray(
                                         s.gt_instances.keypoints_visible)))
                            for c, s in zip(coords, samples)])
        count += len(samples)
    if count == 0:
        raise ValueError('evaluate_nme: no samples to evaluate')
    return dict(NME=float(metric.compute_metrics(metric.results)['NME']), num_samples=count)
