"""Draw predicted faces on full-resolution BGR images / video frames with OpenCV.

The paper's Fig. 5 style (landmarks with axis-aligned uncertainty ellipses), drawn in image
pixels so that the output keeps the input's size and videos stay fast; the matplotlib
figures of :mod:`mmlaplace.visualization.face_figures` are for crops and papers.
"""
from typing import Dict, Sequence

import cv2
import numpy as np

_SHIFT = 4  # sub-pixel drawing: coordinates in 1/16 px
_ONE = 1 << _SHIFT


def _pt(x: float, y: float) -> tuple:
    return int(round(x * _ONE)), int(round(y * _ONE))


def score_color(score: float) -> tuple:
    """BGR colour from red (score 0) through yellow to green (score 1)."""
    s = float(np.clip(score, 0.0, 1.0))
    return 0, int(255 * min(1.0, 2 * s)), int(255 * min(1.0, 2 * (1 - s)))


def draw_faces(image: np.ndarray, faces: Sequence[Dict[str, object]],
               ellipse_scale: float = 1.0, draw_bbox: bool = True,
               copy: bool = True) -> np.ndarray:
    """Draw landmarks, their uncertainty ellipses and the face boxes.

    Each landmark ``k`` gets a dot and an axis-aligned ellipse with half-axes
    ``ellipse_scale * (b_x, b_y)`` (its Laplace scales), coloured by its score from red
    (uncertain) to green (confident); landmarks a tracker flags ``uncertain`` are red. A
    tracked face's ``track_id`` is written above its box.

    Args:
        image (np.ndarray): BGR image (H, W, 3), uint8.
        faces (Sequence[dict]): Faces as returned by :class:`FaceLandmarker`: ``keypoints``
            (K, 2), optional ``keypoint_scales`` (K, 2), ``keypoint_scores`` (K,), ``bbox``,
            ``track_id`` and ``uncertain`` (K,).
        ellipse_scale (float): Multiplier of the ellipses' half-axes. Defaults to 1.0.
        draw_bbox (bool): Draw each face's box. Defaults to True.
        copy (bool): Draw on a copy. Defaults to True.

    Returns:
        np.ndarray: The annotated BGR image (H, W, 3).
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'draw_faces: expected a BGR image (H, W, 3), got {image.shape}')
    canvas = image.copy() if copy else image
    thick = max(1, int(round(min(image.shape[:2]) / 400)))
    for face in faces:
        points = np.asarray(face['keypoints'], np.float64).reshape(-1, 2)
        scores = np.asarray(face.get('keypoint_scores', np.ones(len(points))), np.float64)
        scales = face.get('keypoint_scales')
        uncertain = np.asarray(face.get('uncertain', np.zeros(len(points), bool)), bool)
        if draw_bbox and face.get('bbox') is not None:
            x1, y1, x2, y2 = np.asarray(face['bbox'], np.float64).reshape(4)
            cv2.rectangle(canvas, _pt(x1, y1), _pt(x2, y2), (255, 160, 0), thick, cv2.LINE_AA,
                          _SHIFT)
            if face.get('track_id') is not None:
                cv2.putText(canvas, f"id {face['track_id']}",
                            (int(x1), max(int(y1) - 4 * thick, 10 * thick)),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thick, (255, 160, 0), thick,
                            cv2.LINE_AA)
        for k, (x, y) in enumerate(points):
            if not np.isfinite([x, y]).all():
                continue
            color = (0, 0, 255) if uncertain[k] else score_color(scores[k])
            if scales is not None:
                bx, by = np.asarray(scales, np.float64)[k] * ellipse_scale
                axes = (max(1, int(round(bx * _ONE))), max(1, int(round(by * _ONE))))
                cv2.ellipse(canvas, _pt(x, y), axes, 0, 0, 360, color, 1, cv2.LINE_AA, _SHIFT)
            cv2.circle(canvas, _pt(x, y), max(1, thick) * _ONE, color, -1, cv2.LINE_AA, _SHIFT)
    return canvas
