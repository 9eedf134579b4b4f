"""MMPose's COCO-style face annotation files (300W, AFLW): the entries and their conventions.

The conventions are those of MMPose's released annotation files (from HRNet-Facial's CSVs),
checked field by field against ``tests/data/300w/test_300w.json`` and
``tests/data/aflw/test_aflw.json`` of MMPose:

- ``categories``: one ``face`` category (id 1) with empty ``keypoints`` / ``skeleton``;
- ``images``: ``id``, ``file_name`` (relative to the image root), ``height``, ``width``;
- ``annotations`` (keys in this order): ``image_id``, ``id``, ``keypoints`` (flat
  ``[x, y, v] * K`` floats, ``v`` an int), ``num_keypoints``, ``bbox`` (xywh: the landmark box
  enlarged 1.2 times about its centre), ``iscrowd`` 0, ``area`` (bbox ``w * h``),
  ``category_id`` 1, ``center`` ``[x, y]``, ``scale`` (side / 200); AFLW adds ``box_size``.
- 300W ``center`` / ``scale``: the landmark box on the integer pixel grid (``floor`` of the
  minimum, ``ceil`` of the maximum): centre of that box and ``max(w, h) / 200``
  (:func:`grid_center_scale`; reproduces both of MMPose's 300W samples exactly).
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from ...structures.landmark_boxes import landmark_box

#: The ``categories`` block of MMPose's face annotation files.
FACE_CATEGORIES: List[dict] = [
    dict(supercategory='person', id=1, name='face', keypoints=[], skeleton=[])
]
#: ``bbox`` is the landmark box enlarged by this factor about its centre (MMPose's files).
BBOX_PADDING = 1.2
#: ``scale`` is a side length divided by this (MMPose's ``pixel_std``).
PIXEL_STD = 200.0


def _box_corners(keypoints: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Top-left and bottom-right (2,) of the landmark box; every keypoint must be finite."""
    keypoints = np.asarray(keypoints, np.float64).reshape(-1, 2)
    if not np.isfinite(keypoints).all():
        raise ValueError('the keypoints have NaN / Inf values')
    lo, hi = np.split(landmark_box(keypoints), 2)
    return lo, hi


def padded_bbox(keypoints: np.ndarray, padding: float = BBOX_PADDING) -> List[float]:
    """MMPose's ``bbox`` field: the landmark box scaled by ``padding`` about its centre.

    Args:
        keypoints (np.ndarray): (K, 2) pixel coordinates.
        padding (float): Enlargement factor. Defaults to 1.2.

    Returns:
        list: ``[x, y, w, h]`` floats.
    """
    lo, hi = _box_corners(keypoints)
    centre, size = (lo + hi) / 2, (hi - lo) * padding
    x, y = centre - size / 2
    return [float(x), float(y), float(size[0]), float(size[1])]


def grid_center_scale(keypoints: np.ndarray) -> Tuple[List[float], float]:
    """300W ``center`` and ``scale`` of MMPose's files, from the landmarks.

    The landmark box on the pixel grid, ``[floor(min), ceil(max)]``: its centre, and its
    longest side divided by 200.

    Args:
        keypoints (np.ndarray): (K, 2) pixel coordinates.

    Returns:
        tuple: ``center`` ``[x, y]`` and ``scale``.
    """
    lo, hi = _box_corners(keypoints)
    lo, hi = np.floor(lo), np.ceil(hi)
    centre = (lo + hi) / 2
    return [float(centre[0]), float(centre[1])], float((hi - lo).max()) / PIXEL_STD


def face_annotation(ann_id: int,
                    keypoints: np.ndarray,
                    center: Sequence[float],
                    scale: float,
                    visible: Optional[np.ndarray] = None,
                    visibility: int = 1,
                    box_size: Optional[float] = None) -> Dict:
    """One annotation of MMPose's face files (its ``image_id`` is ``ann_id`` too).

    Args:
        ann_id (int): Annotation and image id.
        keypoints (np.ndarray): (K, 2) pixel coordinates.
        center (Sequence[float]): ``[x, y]`` of the face region.
        scale (float): Side of the face region / 200.
        visible (np.ndarray, optional): (K,) bool: labeled points; the others are written as
            ``[0, 0, 0]`` and the bbox ignores them. None: all labeled.
        visibility (int): ``v`` of labeled points: 1 as in MMPose's released files, or 2
            (COCO's "visible"); MMPose reads both as visible. Defaults to 1.
        box_size (float, optional): AFLW's normalization size; omitted if None.

    Returns:
        dict: The annotation, keys in MMPose's order.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64).reshape(-1, 2)
    if visible is None:
        visible = np.ones(len(keypoints), dtype=bool)
    visible = np.asarray(visible, dtype=bool).reshape(-1)
    if not visible.any():
        raise ValueError(f'face_annotation: annotation {ann_id} has no labeled keypoint')
    flat: List[float] = []
    for (x, y), vis in zip(keypoints, visible):
        flat += [float(x), float(y), visibility] if vis else [0.0, 0.0, 0]
    bbox = padded_bbox(keypoints[visible])
    ann = dict(
        image_id=int(ann_id),
        id=int(ann_id),
        keypoints=flat,
        num_keypoints=int(visible.sum()),
        bbox=bbox,
        iscrowd=0,
        area=bbox[2] * bbox[3],
        category_id=1,
        center=[float(center[0]), float(center[1])],
        scale=float(scale))
    if box_size is not None:
        ann['box_size'] = float(box_size)
    return ann


def image_entry(image_id: int, file_name: str, path: str) -> Dict:
    """``images`` entry; the size is read from the file header.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        OSError: ``path`` is not a readable image.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'image {path} not found')
    try:
        with Image.open(path) as img:
            width, height = img.size
    except Exception as e:  # noqa: BLE001 (re-raised with the path)
        raise OSError(f'cannot read image {path}: {e}') from e
    return dict(id=int(image_id), file_name=file_name, height=int(height), width=int(width))


def write_coco_face_file(path: str, images: List[Dict], annotations: List[Dict]) -> str:
    """Write ``{categories, images, annotations}`` as MMPose's files do; returns ``path``."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(dict(categories=FACE_CATEGORIES, images=images, annotations=annotations), f)
    return path
