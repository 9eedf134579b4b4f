"""Eyes: sockets, sclera, iris, pupil, glint, lid shadow, lids and creases.

Each eye outline is two splines (upper lid 36-39, lower lid 39-36 for the right eye) drawn
through the six eye landmarks, so the corners are the outline's corners.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

from .curves import _catmull_rom, _ellipse_pts, _offset_curve
from .landmarks import L_EYE, R_EYE
from .painter import Roi
from .scene import _Scene


def _lid_curves(e: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Upper (corner 0 -> 1 -> 2 -> corner 3) and lower (3 -> 4 -> 5 -> 0) lid splines."""
    return _catmull_rom(e[[0, 1, 2, 3]], samples=8), _catmull_rom(e[[3, 4, 5, 0]], samples=8)


def _eye_widths(kp: np.ndarray) -> List[float]:
    """Corner-to-corner widths of the (right, left) eyes in pixels."""
    return [float(np.linalg.norm(kp[idx[3]] - kp[idx[0]])) for idx in (R_EYE, L_EYE)]


def _draw_eye_sockets(scene: _Scene) -> None:
    """Soft shadows of the eye sockets, above and around the eyes."""
    kp, skin = scene.kp, scene.skin
    eye_w = _eye_widths(kp)
    scene.painter.poly(
        [_ellipse_pts(kp[idx].mean(0) + np.array([0.0, -0.25 * w]), (0.75 * w, 0.45 * w),
                      scene.roll) for idx, w in zip((R_EYE, L_EYE), eye_w)],
        skin * 0.55, 0.25, blur=0.11 * sum(eye_w))


def _draw_iris(scene: _Scene, k: int, roi: Roi, mask: np.ndarray, upper: np.ndarray, w: float,
               height: float) -> None:
    """Iris, pupil, glint and the upper lid's shadow, clipped to the eye opening.

    Args:
        scene: The face being rendered.
        k: 0 for the right eye, 1 for the left.
        roi: ROI of the eye opening's mask.
        mask: uint8 mask of the eye opening in the ROI.
        upper: The upper lid spline.
        w: Eye width in pixels.
        height: Eye opening height in pixels.
    """
    P, app, params = scene.painter, scene.app, scene.params
    iris_col = np.asarray(app['iris'], np.float32)
    r_iris = float(app['iris_radius']) * scene.scale
    fx = abs(np.cos(np.deg2rad(params.yaw)))
    fy = abs(np.cos(np.deg2rad(params.pitch)))
    roll = scene.roll
    ic = scene.curves['iris_centers'][k] + np.asarray(app['gaze']) * np.array([0.3, 0.15]) * w
    inside = mask.astype(np.float32) * np.float32(1 / 255)
    iris = P.poly_mask([_ellipse_pts(ic, (r_iris * fx, r_iris * fy), roll)], roi)
    pupil = P.poly_mask([_ellipse_pts(ic, (0.42 * r_iris * fx, 0.42 * r_iris * fy), roll)], roi)
    glint = P.poly_mask([_ellipse_pts(ic + np.array([-0.3, -0.35]) * r_iris,
                                      (0.16 * r_iris, 0.16 * r_iris), 0)], roi)
    P.blend(roi, iris * inside, iris_col)
    P.blend(roi, iris * inside, iris_col * 0.55, 0.35, blur=0.15 * r_iris)
    P.blend(roi, pupil * inside, (12, 10, 10))
    P.blend(roi, glint * inside, (250, 250, 250), 0.85)
    lid = P.poly_mask([np.concatenate([upper, _offset_curve(upper, -0.25 * height)[::-1]])], roi)
    P.blend(roi, lid * inside, (40, 30, 30), 0.35, blur=0.5)


def _draw_eyes(scene: _Scene) -> None:
    """Creases, open eyes (layer ``'eyes'``), lashes and lower lids (``'eye_outline'``)."""
    P, kp, skin, size = scene.painter, scene.kp, scene.skin, scene.size
    eye_w = _eye_widths(kp)
    lids = [_lid_curves(kp[idx]) for idx in (R_EYE, L_EYE)]
    heights = [float(np.mean(np.abs(kp[idx[[1, 2]], 1] - kp[idx[[5, 4]], 1])))
               for idx in (R_EYE, L_EYE)]
    P.line([_offset_curve(up, 0.22 * w + 0.5 * h)[2:-2]
            for (up, _), w, h in zip(lids, eye_w, heights)], skin * 0.5, 1.0, 0.35, blur=0.5)
    for k, idx in enumerate((R_EYE, L_EYE)):
        e = kp[idx]
        upper, lower = lids[k]
        w, height = eye_w[k], heights[k]
        opening = np.concatenate([upper, lower[1:-1]])
        if height > 0.6:
            yx = np.clip(np.round(e[1, ::-1]).astype(int), 0, size - 1)
            res = P.poly(opening, np.array([232, 226, 220], np.float32) *
                         np.float32(0.75 + 0.25 * scene.shade[yx[0], yx[1]]))
            if res is not None:
                _draw_iris(scene, k, res[0], res[1], upper, w, height)
            P.add_layer('eyes', [opening])
    P.line([up for up, _ in lids], (25, 18, 15), max(1.0, 0.035 * sum(eye_w)),
           0.85 * float(scene.app['lash']))
    P.line([lo for _, lo in lids], skin * 0.45, 1.0, 0.55)
    P.add_layer('eye_outline', [c for pair in lids for c in pair], 'line')
