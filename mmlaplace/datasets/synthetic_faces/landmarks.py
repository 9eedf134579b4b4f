"""The 68 iBUG / 300W landmarks: count, index groups and the horizontal flip permutation."""
from __future__ import annotations

import numpy as np

NUM_KEYPOINTS = 68

#: Horizontal flip permutation of the 68 iBUG landmarks.
FLIP_INDICES = np.array(
    list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30] +
    [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40] +
    [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])

JAW = np.arange(0, 17)
R_BROW = np.arange(17, 22)
L_BROW = np.arange(22, 27)
BRIDGE = np.arange(27, 31)
NOSE_BASE = np.arange(31, 36)
R_EYE = np.arange(36, 42)
L_EYE = np.arange(42, 48)
OUTER_LIP = np.arange(48, 60)
INNER_LIP = np.arange(60, 68)
MOUTH = np.arange(48, 68)

#: An (N, 2) array of image or model points.
Points = np.ndarray
