"""Render a face from its :class:`~.face_params.FaceParams`: the parts in drawing order."""
from __future__ import annotations

from typing import Any, Dict, Tuple, Union

import cv2
import numpy as np

from .background import _background
from .brows import _draw_brows
from .eyes import _draw_eye_sockets, _draw_eyes
from .face_params import FaceParams
from .hair import _back_hair, _draw_front_hair, _sample_hair_outline, _sample_hair_texture
from .head import _draw_clothing, _draw_ears, _draw_face_skin, _draw_neck, _new_scene
from .mouth import _draw_mouth
from .nose import _draw_nose
from .occluders import _draw_occluder
from .painter import _gray3, _Painter, _white_noise
from .scene import _Scene


def _draw_head_and_body(scene: _Scene) -> None:
    """Clothing, back hair, neck, ears, face skin and front hair (back to front)."""
    P, app = scene.painter, scene.app
    _sample_hair_texture(scene)
    _draw_clothing(scene)
    _sample_hair_outline(scene)
    back_hair = _back_hair(scene)
    if back_hair is not None and not app['hair_over_ears']:
        P.poly(back_hair, scene.hair_img)
    _draw_neck(scene)
    _draw_ears(scene)
    if back_hair is not None and app['hair_over_ears']:  # over the ears, behind the face
        P.poly(back_hair, scene.hair_img)
    _draw_face_skin(scene)
    _draw_front_hair(scene)


def _camera_effects(img: np.ndarray, app: Dict[str, Any],
                    rng: np.random.Generator) -> np.ndarray:
    """Global lighting gradient, colour cast, blur, sensor noise and gray; to uint8.

    Args:
        img: (S, S, 3) float32 rendered image (modified in place).
        app: The face's appearance (``light_gradient``, ``light_angle``, ``color_gain``,
            ``blur``, ``noise``, ``gray``).
        rng: The texture generator (for the noise).

    Returns:
        The (S, S, 3) uint8 image.
    """
    size = img.shape[0]
    gain = np.asarray(app['color_gain'], np.float32)
    if app['light_gradient'] > 0:
        ang = app['light_angle']
        k = 2 * app['light_gradient'] / size
        ramp = 1.0 + k * (np.cos(ang) * (np.arange(size) - size / 2))  # along x
        ramp_y = k * (np.sin(ang) * (np.arange(size) - size / 2))  # along y
        g = (ramp[None, :] + ramp_y[:, None]).astype(np.float32)
        img *= (_gray3(g).reshape(size, size * 3) * np.tile(gain, size)).reshape(size, size, 3)
    else:
        img *= gain
    if app['blur'] > 0:
        img = cv2.GaussianBlur(img, (0, 0), app['blur'])
    if app['noise'] > 0:
        img += _white_noise(rng, size, 3) * np.float32(app['noise'])
    if app['gray']:
        img = _gray3(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY))
    np.clip(img, 0, 255, out=img)
    return cv2.convertScaleAbs(img)  # rounds to uint8 (abs is a no-op after the clip)


def render_face(
        params: FaceParams,
        return_layers: bool = False) -> Union[np.ndarray, Tuple[np.ndarray, Dict[str, np.ndarray]]]:
    """Render a face from its parameters (deterministic).

    Args:
        params: The output of :func:`~.face_params.sample_face_params`.
        return_layers: Also return binary (0/255, (H, W) uint8) structure masks rasterized from
            the very curves that are drawn: ``'face'`` (silhouette fill), ``'eye_outline'`` (both
            eye outlines, 1 px), ``'eyes'`` (eye openings), ``'brows'`` (brow strokes),
            ``'nose_ridge'`` (1 px ridge line), ``'nose_base'`` (1 px nose base line),
            ``'lips'`` (between outer and inner lip contours), ``'mouth_inner'`` (1 px inner
            lip contour) and ``'occluders'``.

    Returns:
        The (H, W, 3) uint8 RGB image, and with ``return_layers`` the dict of masks.
    """
    size = params.image_size
    rng = np.random.default_rng(params.texture_seed)
    app = params.appearance
    P = _Painter(_background(np.random.default_rng(app['background']), size),
                 layers=return_layers)
    scene = _new_scene(params, P, rng)
    _draw_head_and_body(scene)
    _draw_eye_sockets(scene)
    _draw_brows(scene)
    _draw_eyes(scene)
    _draw_nose(scene)
    _draw_mouth(scene)
    for o in params.occluders:
        _draw_occluder(P, o, rng, params.keypoints)
    out = _camera_effects(P.img, app, rng)
    if return_layers:
        layers = dict(P.layers or {})
        layers.setdefault('occluders', np.zeros((size, size), np.uint8))
        return out, layers
    return out
