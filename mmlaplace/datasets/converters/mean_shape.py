"""The mean face shape of a COCO-style annotation file and each landmark's nearest neighbours.

PIPNet's neighbour regression (Jin et al., IJCV 2021, Sec. 3.2) lets every landmark predict
its ``C`` closest landmarks in the training mean shape (Euclidean distance, itself excluded).
:func:`write_neighbors_config` stores them as a config file that :class:`PIPLabel` configs
inherit (``tools/dataset_converters/pip_neighbors.py``).
"""
import json
from typing import List, Tuple

import numpy as np

from mmlaplace.utils.atomic_io import atomic_write


def mean_shape(data: dict) -> Tuple[np.ndarray, int]:
    """Mean landmark positions of the faces, each in its box frame.

    Every face's landmarks are moved to its box centre and divided by the box's longer side
    (the crop the top-down pipeline takes), then averaged over the faces.

    Args:
        data (dict): A COCO-style annotation dict: ``annotations`` with ``keypoints`` (flat
            ``[x, y, v] * K``) and ``bbox`` ``[x, y, w, h]``.

    Returns:
        tuple[np.ndarray, int]: The mean shape (K, 2) and the number of faces averaged.

    Raises:
        KeyError / ValueError: A missing list or field, a face with another keypoint count,
            a non-positive box or non-finite values, naming the annotation id.
    """
    if 'annotations' not in data:
        raise KeyError('annotation data has no "annotations" list')
    shapes, num_keypoints = [], None
    for ann in data['annotations']:
        name = f'annotation id {ann.get("id", "?")}'
        for key in ('keypoints', 'bbox'):
            if key not in ann:
                raise KeyError(f'{name} has no "{key}" field')
        kpts = np.asarray(ann['keypoints'], np.float64)
        if kpts.size % 3:
            raise ValueError(f'{name}: "keypoints" has {kpts.size} values, not 3 per keypoint')
        kpts = kpts.reshape(-1, 3)
        if num_keypoints is None:
            num_keypoints = len(kpts)
        elif len(kpts) != num_keypoints:
            raise ValueError(f'{name}: {len(kpts)} keypoints, the first face has '
                             f'{num_keypoints}')
        x, y, w, h = np.asarray(ann['bbox'], np.float64)
        if not (np.isfinite([x, y, w, h]).all() and w > 0 and h > 0):
            raise ValueError(f'{name}: "bbox" must be finite with a positive size, got '
                             f'{ann["bbox"]}')
        if not np.isfinite(kpts[:, :2]).all():
            raise ValueError(f'{name}: "keypoints" has non-finite values')
        centre = np.array([x + w / 2, y + h / 2])
        shapes.append((kpts[:, :2] - centre) / max(w, h))
    if not shapes:
        raise ValueError('annotation data has no faces to average')
    return np.mean(shapes, axis=0), len(shapes)


def nearest_neighbors(shape: np.ndarray, num_neighbors: int) -> np.ndarray:
    """Indices (K, C) of each landmark's ``C`` nearest landmarks, itself excluded.

    Ties are broken by the lower index (a stable sort), so the result is reproducible.

    Example:
        >>> nearest_neighbors(np.array([[0., 0.], [1., 0.], [3., 0.]]), 1).tolist()
        [[1], [0], [1]]
    """
    shape = np.asarray(shape, np.float64)
    if shape.ndim != 2 or shape.shape[1] != 2:
        raise ValueError(f'shape must be (K, 2), got {shape.shape}')
    if not 0 < num_neighbors < len(shape):
        raise ValueError(f'num_neighbors must be in [1, {len(shape) - 1}], got {num_neighbors}')
    dist = np.linalg.norm(shape[:, None] - shape[None], axis=-1)
    np.fill_diagonal(dist, np.inf)
    return np.argsort(dist, axis=1, kind='stable')[:, :num_neighbors]


def write_neighbors_config(out_file: str, indices: np.ndarray, source: str,
                           num_faces: int) -> None:
    """Write ``pip_neighbor_indices = [...]`` as an MMEngine config file (atomically).

    Args:
        out_file (str): The ``.py`` file to write.
        indices (np.ndarray): (K, C) neighbour indices (:func:`nearest_neighbors`).
        source (str): Where the mean shape comes from (written in the header).
        num_faces (int): How many faces were averaged (written in the header).
    """
    rows: List[str] = [f'    {json.dumps([int(v) for v in row])},' for row in indices]
    text = '\n'.join([
        f'# The {indices.shape[1]} nearest neighbours of each of the {indices.shape[0]} '
        'landmarks in the mean shape',
        f'# of {num_faces} faces of {source}',
        '# (tools/dataset_converters/pip_neighbors.py; PIPNet, Jin et al. IJCV 2021, Sec. 3.2).',
        'pip_neighbor_indices = [', *rows, ']', ''])
    atomic_write(text, out_file)
