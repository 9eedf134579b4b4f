"""The landmark box: the tight axis-aligned box of a face's landmarks, and its square."""
import numpy as np


def landmark_box(points: np.ndarray) -> np.ndarray:
    """The tight box (4,) ``x1, y1, x2, y2`` of landmarks (K, 2), ignoring non-finite rows.

    Example:
        >>> landmark_box(np.array([[1., 5.], [3., 2.], [np.nan, 0.]])).tolist()
        [1.0, 2.0, 3.0, 5.0]

    Raises:
        ValueError: When no landmark is finite.
    """
    points = np.asarray(points, np.float64).reshape(-1, 2)
    finite = points[np.isfinite(points).all(axis=1)]
    if len(finite) == 0:
        raise ValueError('landmark_box: no finite landmark')
    return np.concatenate([finite.min(axis=0), finite.max(axis=0)])


def square_box(box: np.ndarray) -> np.ndarray:
    """The square (4,) with the box's centre and side ``max(w, h)``.

    Example:
        >>> square_box(np.array([0., 0., 4., 2.])).tolist()
        [0.0, -1.0, 4.0, 3.0]
    """
    box = np.asarray(box, np.float64).reshape(4)
    centre, half = (box[:2] + box[2:]) / 2, (box[2:] - box[:2]).max() / 2
    return np.concatenate([centre - half, centre + half])
