"""Hair: texture, the outline expanded by its volume, back hair (long / bob) and front hair."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .curves import _catmull_rom
from .painter import _smooth_noise, _tint, _white_noise
from .scene import _Scene


def _sample_hair_texture(scene: _Scene) -> None:
    """Set the scene's hair colour source (streaky texture, shaded) unless bald and unbearded."""
    app, rng, size, hair = scene.app, scene.rng, scene.size, scene.hair
    if app['hair_style'] != 'bald' or app['beard']:
        hair_tex = 1.0 + 0.18 * _smooth_noise(rng, size, 40, 1, aspect=(1.0, 0.08))[..., 0] + \
            0.08 * _white_noise(rng, size, 1)[..., 0]
        hair_shade = hair_tex * (0.6 + 0.4 * scene.shade)
        scene.hair_shade = hair_shade
        scene.hair_img = lambda ys, xs: _tint(hair, hair_shade[ys, xs])


def _sample_hair_outline(scene: _Scene) -> None:
    """Set the scene's outer hair outline: the forehead arc expanded from the head centre."""
    head_c = scene.head_center
    scene.hair_out = head_c + (scene.curves['forehead'] - head_c) * (
        1.0 + scene.rng.uniform(0.04, 0.14))


def _back_hair(scene: _Scene) -> Optional[np.ndarray]:
    """Outline of the hair behind the head and shoulders ('long' and 'bob' styles, else None)."""
    style, kp, head_c = scene.app['hair_style'], scene.kp, scene.head_center
    if style not in ('long', 'bob'):
        return None
    assert scene.hair_out is not None
    drop = (2.0 if style == 'long' else 0.9) * (kp[8] - kp[27])
    side_l = np.stack([kp[0] + (kp[0] - head_c) * 0.15 + 0.1 * drop,
                       kp[3] + (kp[3] - head_c) * 0.25 + 0.5 * drop,
                       kp[5] + (kp[5] - head_c) * 0.2 + drop])
    side_r = np.stack([kp[11] + (kp[11] - head_c) * 0.2 + drop,
                       kp[13] + (kp[13] - head_c) * 0.25 + 0.5 * drop,
                       kp[16] + (kp[16] - head_c) * 0.15 + 0.1 * drop])
    return _catmull_rom(np.concatenate([side_r, scene.hair_out, side_l]), closed=True,
                        samples=6)


def _draw_front_hair(scene: _Scene) -> None:
    """Hair over the head: the hairline (left -> right), then the outline back over the top."""
    if scene.app['hair_style'] == 'bald':
        return
    P, hair_img, hair_out = scene.painter, scene.hair_img, scene.hair_out
    assert hair_img is not None and hair_out is not None
    hl = scene.curves['hairline']
    P.poly(_catmull_rom(np.concatenate([hl, hair_out]), closed=True, samples=6), hair_img)
    P.line(_catmull_rom(hl, samples=6), scene.hair * 0.6, 1.0, 0.4, blur=0.6)
    if scene.app['hair_style'] == 'updo':
        top = hair_out[len(hair_out) // 2]
        head_c = scene.head_center
        P.ellipse(top + (top - head_c) * 0.05, (0.22 * scene.scale, 0.12 * scene.scale),
                  scene.roll, hair_img)
