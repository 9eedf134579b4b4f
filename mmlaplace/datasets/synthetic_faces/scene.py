"""The state shared by the part renderers of one face (see :func:`~.render.render_face`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

import numpy as np

from .face_params import FaceParams
from .painter import Color, _Painter


@dataclass
class _Scene:
    """One face being rendered: its parameters, canvas, texture generator and shared maps.

    Attributes:
        params: The face's parameters.
        painter: The canvas (with the background already drawn).
        rng: The texture generator (seeded by ``params.texture_seed``); the parts draw from it
            in rendering order.
        skin: float32 RGB skin colour.
        hair: float32 RGB hair colour.
        light2: float32 image-plane (x, y) direction of the light.
        shade: (S, S) float32 Lambertian shading of the head ellipsoid.
        skin_img: (S, S, 3) float32 textured, shaded skin.
        silhouette: Closed spline through the jaw 0..16 and the forehead arc (face outline).
        head_center: Image centre of the head (shading and hair expand from it).
        hair_img: Colour source of textured, shaded hair (None when bald without beard).
        hair_shade: (S, S) float32 hair texture times shading (None as ``hair_img``).
        hair_out: The forehead arc expanded by the hair's volume (set by the hair outline).
    """

    params: FaceParams
    painter: _Painter
    rng: np.random.Generator
    skin: np.ndarray
    hair: np.ndarray
    light2: np.ndarray
    shade: np.ndarray
    skin_img: np.ndarray
    silhouette: np.ndarray
    head_center: np.ndarray
    hair_img: Optional[Color] = None
    hair_shade: Optional[np.ndarray] = None
    hair_out: Optional[np.ndarray] = None

    @property
    def app(self) -> Dict[str, Any]:
        """The appearance dict of the parameters."""
        return self.params.appearance

    @property
    def kp(self) -> np.ndarray:
        """(68, 2) landmarks in image pixels."""
        return self.params.keypoints

    @property
    def curves(self) -> Dict[str, np.ndarray]:
        """The auxiliary image-space curves of the parameters."""
        return self.params.curves

    @property
    def scale(self) -> float:
        """Pixels per model unit."""
        return self.params.scale

    @property
    def roll(self) -> float:
        """In-plane rotation in degrees."""
        return self.params.roll

    @property
    def size(self) -> int:
        """Image side in pixels."""
        return self.params.image_size
