"""Skin and body: head shading and skin texture, clothing, neck, ears, face skin, beard."""
from __future__ import annotations

from typing import Tuple

import cv2
import numpy as np

from .curves import _catmull_rom
from .face_params import FaceParams
from .landmarks import JAW
from .painter import (
    _gray3,
    _grid,
    _Painter,
    _scaled,
    _smooth_noise,
    _tint,
    _upsample,
    _white_noise,
)
from .scene import _Scene


def _shade_field(size: int, center: np.ndarray, axes: Tuple[float, float], roll: float,
                 light: np.ndarray, ambient: float) -> np.ndarray:
    """Lambertian shading (ambient..1) of an ellipsoid of the given image axes."""
    yy, xx = _grid(size)
    c, s = np.float32(np.cos(np.deg2rad(roll))), np.float32(np.sin(np.deg2rad(roll)))
    dx, dy = xx - np.float32(center[0]), yy - np.float32(center[1])
    u = (c * dx + s * dy) * np.float32(1 / axes[0])
    v = (c * dy - s * dx) * np.float32(1 / axes[1])
    nz = np.sqrt(np.clip(1 - u * u - v * v, 0, 1))
    lx = float(c * light[0] + s * light[1])
    ly = float(-s * light[0] + c * light[1])
    d = np.clip(u * np.float32(lx) + v * np.float32(ly) + nz * np.float32(light[2]), 0, 1)
    return np.float32(ambient) + np.float32(1 - ambient) * d


def _new_scene(params: FaceParams, painter: _Painter, rng: np.random.Generator) -> _Scene:
    """Start rendering a face: its silhouette, head shading and textured skin.

    Args:
        params: The face's parameters.
        painter: The canvas, with the background drawn.
        rng: The texture generator (the skin texture is its first use).

    Returns:
        The scene, without the hair maps yet.
    """
    size, app, kp, cv, s = params.image_size, params.appearance, params.keypoints, \
        params.curves, params.scale
    skin = np.asarray(app['skin'], np.float32)
    light = np.asarray(app['light'], np.float32)
    # silhouette: closed spline through the jaw 0..16 and the forehead arc back to 0
    fh = cv['forehead']
    silhouette = _catmull_rom(np.concatenate([kp[JAW], fh]), closed=True, samples=8)
    head_c = cv['head_center'][0]
    half_w = 0.5 * np.linalg.norm(kp[16] - kp[0]) + 0.05 * s
    half_h = 0.5 * np.linalg.norm(fh[len(fh) // 2] - kp[8])
    shade = _shade_field(size, head_c, (half_w * 1.1, half_h * 1.08), params.roll, light,
                         float(app['ambient']))
    tex = 1.0 + 0.05 * _smooth_noise(rng, size, int(rng.integers(4, 9)))[..., 0] + \
        0.025 * _white_noise(rng, size, 1)[..., 0]
    tint = _upsample(skin * (1.0 + 0.03 * rng.standard_normal((5, 5, 3), dtype=np.float32)),
                     size)
    return _Scene(params=params, painter=painter, rng=rng, skin=skin,
                  hair=np.asarray(app['hair'], np.float32), light2=light[:2], shade=shade,
                  skin_img=tint * _gray3(tex * shade), silhouette=silhouette,
                  head_center=head_c)


def _draw_clothing(scene: _Scene) -> None:
    """Fill the torso with the textured, shaded cloth colour."""
    cloth = np.asarray(scene.app['cloth'], np.float32)
    cloth_tex = 1.0 + 0.1 * _smooth_noise(scene.rng, scene.size, 6)
    shade = scene.shade
    scene.painter.poly(
        _catmull_rom(scene.curves['torso'], closed=True, samples=4),
        lambda ys, xs: _tint(cloth, cloth_tex[ys, xs, 0] * (0.7 + 0.3 * shade[ys, xs])))


def _draw_neck(scene: _Scene) -> None:
    """Fill the neck (shadowed skin) and the chin's shadow on it."""
    P, app, kp, cv, s = scene.painter, scene.app, scene.kp, scene.curves, scene.scale
    neck_l, neck_r = cv['neck_left'], cv['neck_right']
    neck_bottom = 0.5 * (neck_l[2] + neck_r[2]) + np.array([0.0, app['neckline_depth'] * s])
    neck = np.concatenate([neck_l[:3], neck_bottom[None], neck_r[:3][::-1]])
    res = P.poly(_catmull_rom(neck, closed=True, samples=4),
                 _scaled(scene.skin_img, app['neck_shadow']))
    if res is not None:  # the chin's shadow on the neck, clipped to the neck
        roi, neck_mask = res
        down = kp[8] - kp[27]
        shadow = P.poly_mask([np.concatenate([kp[3:14], (kp[3:14] + down * 0.2)[::-1]])], roi)
        shadow = cv2.GaussianBlur(shadow.astype(np.float32), (0, 0), 0.03 * s)
        P.blend(roi, shadow * neck_mask * np.float32(1 / 255), scene.skin * 0.25, 0.6)


def _draw_ears(scene: _Scene) -> None:
    """Draw the visible ears (skin, a shadowed concha and an outline)."""
    P, app, cv, s, skin = scene.painter, scene.app, scene.curves, scene.scale, scene.skin
    if not app['ears']:
        return
    for name, hidden in zip(('ear_right', 'ear_left'), app['hide_ear']):
        if hidden:
            continue
        ear = _catmull_rom(cv[name], closed=True, samples=6)
        P.poly(ear, _scaled(scene.skin_img, 0.88))
        P.ellipse(cv[name].mean(0), (0.03 * s, 0.065 * s), scene.roll, skin * 0.55, 0.45,
                  blur=0.012 * s)
        P.line(ear, skin * 0.5, 1.0, 0.35, closed=True)


def _draw_face_skin(scene: _Scene) -> None:
    """Fill the face silhouette (layer ``'face'``); contour shadow, make-up and beard."""
    P, app, kp, s, skin = scene.painter, scene.app, scene.kp, scene.scale, scene.skin
    silhouette = scene.silhouette
    P.poly(silhouette, scene.skin_img)
    P.add_layer('face', [silhouette])
    P.line(silhouette[:16 * 8 + 1], skin * 0.4, 1.0, 0.35, blur=0.4)
    if app['makeup']:
        for j in (2, 14):
            P.ellipse(0.5 * (kp[j] + kp[30]), (0.1 * s, 0.06 * s), scene.roll, (220, 110, 110),
                      0.15, blur=0.04 * s)
    if app['beard']:
        hair, hair_shade = scene.hair, scene.hair_shade
        assert hair_shade is not None
        beard = np.concatenate([kp[2:15], _catmull_rom(kp[[54, 33, 48]], samples=6)])
        P.poly(beard, lambda ys, xs: _tint(hair * 0.8, hair_shade[ys, xs]), 0.5,
               blur=0.01 * s)
