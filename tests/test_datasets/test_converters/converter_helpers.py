"""Helpers of the converter tests: tiny generated images, .pts files and AFLW .mat files.
"""
import zlib
from pathlib import Path
from typing import Optional

import cv2
import numpy as np


def write_image(path: Path, h: int = 48, w: int = 40, value: Optional[int] = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(zlib.crc32(path.name.encode()))
    img = (rng.integers(0, 255, (h, w, 3), dtype=np.uint8) if value is None else
           np.full((h, w, 3), value, np.uint8))
    assert cv2.imwrite(str(path), img)
    return path


def write_pts(path: Path, points: np.ndarray, header: bool = True) -> Path:
    """iBUG .pts (1-based coordinates as given), with or without the header."""
    lines = [f'{x:.3f} {y:.3f}' for x, y in points]
    if header:
        lines = ['version: 1', f'n_points:  {len(points)}', '{'] + lines + ['}']
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('\n'.join(lines) + '\n')
    return path


def random_points(rng: np.random.Generator, h: int = 48, w: int = 40, k: int = 68) -> np.ndarray:
    return np.round(rng.uniform([3, 4], [w - 3, h - 4], size=(k, 2)), 3)


def write_aflw_mat(path: Path, names, keypoints: np.ndarray, boxes: np.ndarray,
                   mask: np.ndarray, ra: np.ndarray, drop: tuple = (),
                   override: Optional[dict] = None) -> Path:
    from scipy.io import savemat
    name_list = np.empty((len(names), 1), dtype=object)
    for i, n in enumerate(names):
        name_list[i, 0] = np.array([n])
    fields = dict(nameList=name_list,
                  data=np.concatenate([keypoints[..., 0], keypoints[..., 1]], axis=1),
                  bbox=boxes, mask_new=mask.astype(np.float64),
                  ra=ra.reshape(1, -1).astype(np.float64))
    fields.update(override or {})
    for key in drop:
        fields.pop(key)
    savemat(str(path), fields)
    return path

