"""Top-down crop geometry: image pixels <-> input-crop pixels <-> heatmap pixels.

Three frames, each with ``(x, y)`` in the last dimension:

- **image**: the original image;
- **crop**: the model's input crop, ``input_size = (W_in, H_in)``. MMPose's ``TopdownAffine``
  warps the box with centre ``input_center`` and size ``input_scale`` (image pixels) onto it,
  and ``TopdownPoseEstimator.add_pred_to_datasample`` maps predictions back with
  ``x_img = x_crop / input_size * input_scale + input_center - input_scale / 2``
  (:func:`crop_to_image`; :func:`image_to_crop` is its inverse). A length, such as a
  per-axis Laplace scale ``b``, only takes the scale factor:
  ``b_img = b_crop * input_scale / input_size`` (:func:`crop_scales_to_image`);
- **heatmap**: the head's ``heatmap_size = (W, H)`` maps. Heatmap pixel ``(i, j)`` (row,
  column) sits at the normalized position ``(j / W, i / H)``, as in MMPose's integral
  regression heads, so ``x_crop = x_hm * W_in / W`` per axis, positions and lengths alike
  (:func:`heatmap_to_crop`, stride from :func:`heatmap_stride`).

The crop <-> heatmap functions take numpy arrays or torch tensors (pure torch ops, traceable
by ``torch.onnx``); the image <-> crop ones take numpy arrays. No MMPose or OpenMMLab import:
this module is shared by the codec, the inference API, the visualization and the metrics.
"""
from typing import Any, Mapping, NamedTuple, Sequence, Tuple, TypeVar, Union

import numpy as np
import torch

__all__ = [
    'CropFrame', 'crop_frame', 'image_to_crop', 'crop_to_image', 'crop_scales_to_image',
    'heatmap_stride', 'heatmap_to_crop', 'crop_to_heatmap', 'CROP_META_KEYS'
]

#: The metainfo keys :func:`crop_frame` reads (set by ``TopdownAffine`` / ``PackPoseInputs``).
CROP_META_KEYS = ('input_center', 'input_scale', 'input_size')

ArrayOrTensor = TypeVar('ArrayOrTensor', np.ndarray, torch.Tensor)


class CropFrame(NamedTuple):
    """Where one instance's input crop lies in its image.

    Attributes:
        center (np.ndarray): Box centre ``(x, y)`` in image pixels, float32 (2,).
        scale (np.ndarray): Box size ``(w, h)`` in image pixels, float32 (2,).
        input_size (tuple[int, int]): Crop size ``(W_in, H_in)``.
    """

    center: np.ndarray
    scale: np.ndarray
    input_size: Tuple[int, int]


def crop_frame(data_sample: Union[Mapping[str, Any], Any], instance: int = 0) -> CropFrame:
    """Read an instance's crop frame from a ``PoseDataSample`` (or its metainfo dict).

    Args:
        data_sample (PoseDataSample | Mapping): A sample with ``metainfo`` (``input_center``
            (N, 2) or (2,), ``input_scale`` likewise, ``input_size`` ``(W_in, H_in)``), or
            such a metainfo mapping itself (e.g. a data sample turned into a dict).
        instance (int): Which instance of ``input_center`` / ``input_scale``. Defaults to 0.

    Returns:
        CropFrame: ``center``, ``scale`` (float32 (2,)) and ``input_size``.

    Raises:
        ValueError: When a key is missing (or None), naming the missing keys.

    Example:
        >>> frame = crop_frame(dict(input_center=[50, 60], input_scale=[40, 40],
        ...                         input_size=(20, 20)))
        >>> frame.center.tolist(), frame.scale.tolist(), frame.input_size
        ([50.0, 60.0], [40.0, 40.0], (20, 20))
    """
    meta = data_sample if isinstance(data_sample, Mapping) else data_sample.metainfo
    missing = [k for k in CROP_META_KEYS if meta.get(k, None) is None]
    if missing:
        raise ValueError(f'data_sample metainfo lacks {missing}: the test pipeline must end in '
                         'TopdownAffine ... PackPoseInputs (default meta_keys)')
    center = np.asarray(meta['input_center'], np.float32).reshape(-1, 2)[instance]
    scale = np.asarray(meta['input_scale'], np.float32).reshape(-1, 2)[instance]
    size = np.asarray(meta['input_size']).reshape(-1)
    if size.size != 2:
        raise ValueError(f'data_sample metainfo input_size must be (W, H), got '
                         f'{meta["input_size"]}')
    return CropFrame(center, scale, (int(size[0]), int(size[1])))


# --------------------------------------------------------------------- image <-> crop
def image_to_crop(points: np.ndarray, center: np.ndarray, scale: np.ndarray,
                  input_size: Sequence[int]) -> np.ndarray:
    """Map (..., 2) image coordinates into the (unrotated) top-down input crop.

    The inverse of MMPose's ``TopdownPoseEstimator.add_pred_to_datasample`` mapping
    ``x_img = x_crop / input_size * scale + center - scale / 2``.

    Args:
        points (np.ndarray): Image coordinates (..., 2), e.g. (K, 2).
        center (np.ndarray): Box centre ``(x, y)`` in image pixels (2,).
        scale (np.ndarray): Box size ``(w, h)`` in image pixels (2,).
        input_size (Sequence[int]): Crop size ``(W_in, H_in)``.

    Returns:
        np.ndarray: Crop coordinates, the shape of ``points``.
    """
    size = np.asarray(input_size, dtype=np.float32)
    return (points - center + 0.5 * scale) / scale * size


def crop_to_image(points: np.ndarray, center: np.ndarray, scale: np.ndarray,
                  input_size: Sequence[int]) -> np.ndarray:
    """Map (..., 2) input-crop coordinates to image pixels, as MMPose's top-down estimator.

    ``x_img = x_crop / input_size * scale + center - scale / 2``.

    Args:
        points (np.ndarray): Crop coordinates (..., 2).
        center (np.ndarray): Box centre ``(x, y)`` in image pixels (2,).
        scale (np.ndarray): Box size ``(w, h)`` in image pixels (2,).
        input_size (Sequence[int]): Crop size ``(W_in, H_in)``.

    Returns:
        np.ndarray: Image coordinates, the shape of ``points``.
    """
    size = np.asarray(input_size, dtype=np.float32)
    return points / size * scale + center - 0.5 * scale


def crop_scales_to_image(scales: np.ndarray, scale: np.ndarray,
                         input_size: Sequence[int]) -> np.ndarray:
    """Map (..., 2) lengths (per-axis Laplace scales) from crop to image pixels.

    ``b_img = b_crop * scale / input_size`` per axis (no offset: a length, not a position).
    Computed in the floating dtype of ``scales`` (float32 stays float32, float64 float64).

    Args:
        scales (np.ndarray): Per-axis lengths in crop pixels (..., 2).
        scale (np.ndarray): Box size ``(w, h)`` in image pixels (2,) (``input_scale``).
        input_size (Sequence[int]): Crop size ``(W_in, H_in)``.

    Returns:
        np.ndarray: Lengths in image pixels, the shape of ``scales``.
    """
    scales = np.asarray(scales)
    dtype = scales.dtype if np.issubdtype(scales.dtype, np.floating) else np.float64
    factor = (np.asarray(scale, dtype).reshape(2) / np.asarray(input_size, dtype).reshape(2))
    return scales * factor


# ------------------------------------------------------------------- heatmap <-> crop
def heatmap_stride(heatmap_size: Sequence[int], input_size: Sequence[int]
                   ) -> Tuple[float, float]:
    """Crop pixels per heatmap pixel ``(W_in / W, H_in / H)``.

    Args:
        heatmap_size (Sequence[int]): ``(W, H)`` of the heatmaps.
        input_size (Sequence[int]): ``(W_in, H_in)`` of the input crop.

    Returns:
        tuple[float, float]: The stride per axis.

    Raises:
        ValueError: When a size is not two positive numbers, naming the argument.
    """
    for name, size in (('heatmap_size', heatmap_size), ('input_size', input_size)):
        if len(size) != 2 or not all(float(v) > 0 for v in size):
            raise ValueError(f'heatmap_stride: `{name}` must be (W, H) with positive sizes, '
                             f'got {tuple(size)}')
    return float(input_size[0]) / float(heatmap_size[0]), \
        float(input_size[1]) / float(heatmap_size[1])


def _times(points: ArrayOrTensor, factor: Tuple[float, float]) -> ArrayOrTensor:
    if isinstance(points, torch.Tensor):
        if factor == (1.0, 1.0):
            return points  # exact no-op, and no node in a traced graph
        return points * points.new_tensor(factor)
    points = np.asarray(points)
    dtype = points.dtype if np.issubdtype(points.dtype, np.floating) else np.float64
    return points * np.asarray(factor, dtype)


def heatmap_to_crop(points: ArrayOrTensor, heatmap_size: Sequence[int],
                    input_size: Sequence[int]) -> ArrayOrTensor:
    """Map (..., 2) positions or lengths from heatmap to input-crop pixels.

    ``x_crop = x_hm * W_in / W`` and ``y_crop = y_hm * H_in / H`` (see the module docstring).
    A torch tensor stays a tensor of its dtype and device, and only pure torch ops are used
    (traceable by ``torch.onnx``); with a stride of exactly 1 the tensor itself is returned.

    Args:
        points (np.ndarray | Tensor): Heatmap-pixel values (..., 2).
        heatmap_size (Sequence[int]): ``(W, H)`` of the heatmaps.
        input_size (Sequence[int]): ``(W_in, H_in)`` of the input crop.

    Returns:
        np.ndarray | Tensor: Crop-pixel values, the shape of ``points``.

    Example:
        >>> heatmap_to_crop(np.array([[3.0, 1.0]]), (6, 4), (12, 8)).tolist()
        [[6.0, 2.0]]
    """
    return _times(points, heatmap_stride(heatmap_size, input_size))


def crop_to_heatmap(points: ArrayOrTensor, heatmap_size: Sequence[int],
                    input_size: Sequence[int]) -> ArrayOrTensor:
    """Map (..., 2) positions or lengths from input-crop to heatmap pixels.

    The inverse of :func:`heatmap_to_crop`: ``x_hm = x_crop * W / W_in``.

    Args:
        points (np.ndarray | Tensor): Crop-pixel values (..., 2).
        heatmap_size (Sequence[int]): ``(W, H)`` of the heatmaps.
        input_size (Sequence[int]): ``(W_in, H_in)`` of the input crop.

    Returns:
        np.ndarray | Tensor: Heatmap-pixel values, the shape of ``points``.
    """
    stride = heatmap_stride(heatmap_size, input_size)
    return _times(points, (1.0 / stride[0], 1.0 / stride[1]))
