"""Appearance sampling: colour palettes, style choices and partial occluders of one face."""
from __future__ import annotations

from typing import Any, Dict, List

import cv2
import numpy as np

from .landmarks import NUM_KEYPOINTS

_SKIN_TONES = np.array([[241, 213, 195], [229, 186, 158], [214, 164, 130], [190, 138, 100],
                        [160, 110, 76], [125, 84, 58], [92, 62, 44], [70, 48, 36]], np.float64)
_HAIR_COLORS = np.array([[22, 18, 16], [45, 32, 24], [78, 54, 36], [118, 82, 52], [165, 125, 80],
                         [210, 180, 120], [140, 65, 35], [150, 150, 150], [205, 205, 200]],
                        np.float64)
_HAIR_P = np.array([0.24, 0.22, 0.16, 0.1, 0.06, 0.07, 0.05, 0.06, 0.04])
_IRIS_COLORS = np.array([[70, 42, 25], [40, 28, 22], [105, 70, 40], [70, 110, 160],
                         [90, 120, 85], [115, 125, 135], [120, 95, 55]], np.float64)
_IRIS_P = np.array([0.3, 0.25, 0.15, 0.1, 0.07, 0.06, 0.07])


def _sample_colors(rng: np.random.Generator) -> Dict[str, Any]:
    """Sample the colour palette and style choices of one face."""
    t = rng.uniform(0, len(_SKIN_TONES) - 1)
    i = int(min(t, len(_SKIN_TONES) - 2))
    skin = _SKIN_TONES[i] * (1 - (t - i)) + _SKIN_TONES[i + 1] * (t - i)
    skin = np.clip(skin * rng.uniform(0.92, 1.06) + rng.normal(0, 6, 3), 20, 250)
    hair = _HAIR_COLORS[rng.choice(len(_HAIR_COLORS), p=_HAIR_P)]
    hair = np.clip(hair * rng.uniform(0.8, 1.15) + rng.normal(0, 5, 3), 5, 250)
    lip_red = np.array([175.0, 80.0, 90.0]) + rng.normal(0, 12, 3)
    lips = np.clip(skin * (1 - (k := rng.uniform(0.25, 0.6))) + lip_red * k, 0, 255)
    lips = lips * rng.uniform(0.72, 0.95)
    if rng.random() < 0.1:  # lipstick
        lips = np.clip(np.array([170.0, 30.0, 50.0]) + rng.normal(0, 20, 3), 0, 255)
    brow = np.clip(hair * rng.uniform(0.5, 0.9), 5, 200)
    if hair.mean() > 120:  # light hair: darker, less saturated brows
        brow = np.clip(0.5 * hair * rng.uniform(0.5, 0.8) + 0.5 * np.array([70.0, 55, 45]), 5,
                       200)
    hsv = np.uint8([[[rng.integers(0, 180), rng.integers(0, 256), rng.integers(40, 256)]]])
    cloth = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float64)
    style = rng.choice(['short', 'long', 'bob', 'bald', 'updo'], p=[0.35, 0.3, 0.15, 0.1, 0.1])
    light = np.array([rng.uniform(-0.8, 0.8), rng.uniform(-0.7, 0.4), 1.0])
    return dict(
        skin=skin, hair=hair, lips=lips, brow=brow, cloth=cloth,
        iris=_IRIS_COLORS[rng.choice(len(_IRIS_COLORS), p=_IRIS_P)] * rng.uniform(0.8, 1.2),
        hair_style=str(style), ears=bool(rng.random() < 0.85), ambient=rng.uniform(0.45, 0.7),
        light=light / np.linalg.norm(light), brow_thickness=rng.uniform(0.022, 0.045),
        brow_alpha=rng.uniform(0.55, 0.95), teeth=rng.random() < 0.85,
        gaze=rng.uniform(-0.35, 0.35, 2), iris_radius=rng.uniform(0.040, 0.050),
        lash=rng.uniform(0.6, 1.0), makeup=bool(rng.random() < 0.15),
        beard=bool(rng.random() < 0.08), neck_shadow=rng.uniform(0.55, 0.8),
        neckline_depth=rng.uniform(0.05, 0.3), hair_over_ears=bool(rng.random() < 0.5))


def _sample_occluders(rng: np.random.Generator, cfg: Dict[str, Any], kp: np.ndarray,
                      skin: np.ndarray) -> List[Dict[str, Any]]:
    """Random partial occluders in image pixels (landmarks under them stay labelled)."""
    occ: List[Dict[str, Any]] = []
    if rng.random() >= cfg['occluder_p']:
        return occ
    box = kp.max(0) - kp.min(0)
    side = float(box.max())
    hard = cfg['occluder_max'] > 1
    kinds = ['hand', 'rect', 'ellipse', 'bar', 'hat'] + (['mask', 'glasses'] if hard else [])
    for _ in range(int(rng.integers(1, cfg['occluder_max'] + 1))):
        kind = str(rng.choice(kinds))
        size = side * rng.uniform(*cfg['occluder_size'])
        anchor = kp[int(rng.integers(0, NUM_KEYPOINTS))]
        center = anchor + rng.normal(0, 0.15, 2) * side
        hsv = np.uint8([[[rng.integers(0, 180), rng.integers(0, 256), rng.integers(30, 256)]]])
        color = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float64)
        o: Dict[str, Any] = dict(kind=kind, center=center, size=size,
                                 angle=float(rng.uniform(0, 360)), color=color,
                                 aspect=float(rng.uniform(0.3, 1.0)),
                                 texture=bool(rng.random() < 0.5))
        if kind == 'hand':
            o['color'] = np.clip(skin * rng.uniform(0.85, 1.1), 0, 255)
            # fingers point towards the face centre, from outside
            ctr = kp.mean(0)
            direction = ctr - center
            o['angle'] = float(np.degrees(np.arctan2(direction[1], direction[0])))
            o['center'] = center - direction / (np.linalg.norm(direction) + 1e-6) * size * 0.3
        elif kind == 'hat':
            top = kp[17:27, 1].min()
            o['brim_y'] = float(top - rng.uniform(0.05, 0.3) * side +
                                (rng.uniform(0.0, 0.2) * side if hard else 0.0))
            o['center'] = np.array([kp[:, 0].mean(), o['brim_y']])
            o['size'] = side
        elif kind == 'mask':
            o['top_y'] = float(kp[28:31, 1].mean())
            o['center'] = np.array([kp[:, 0].mean(), o['top_y']])
            o['size'] = side
        elif kind == 'glasses':
            o['center'] = np.array(kp[36:48].mean(0))
            o['size'] = side
            o['dark'] = bool(rng.random() < 0.5)
        occ.append(o)
    return occ
