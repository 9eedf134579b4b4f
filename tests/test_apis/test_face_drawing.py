"""Drawing faces: dots, uncertainty ellipses that grow with the scales, boxes."""
import numpy as np
import pytest

from mmlaplace.apis.face_drawing import draw_faces, score_color


def _face(scale: float) -> dict:
    return dict(keypoints=np.array([[30.0, 30.0], [70.0, 60.0]]),
                keypoint_scales=np.full((2, 2), scale), keypoint_scores=np.array([0.9, 0.1]),
                bbox=np.array([10.0, 10.0, 90.0, 80.0]))


def test_draws_on_a_copy_and_ellipses_grow_with_scales():
    image = np.zeros((100, 100, 3), np.uint8)
    small = draw_faces(image, [_face(2.0)], draw_bbox=False)
    large = draw_faces(image, [_face(12.0)], draw_bbox=False)
    assert image.max() == 0  # the input is untouched
    assert small[30, 30].any() and small[60, 70].any()  # the landmark dots
    changed = [np.count_nonzero(x.any(-1)) for x in (small, large)]
    assert changed[1] > changed[0] * 2
    # a landmark ellipse passes at distance b from its centre
    assert large[30, 30 + 12].any() and not small[30, 30 + 12].any()


def test_box_and_score_colours():
    out = draw_faces(np.zeros((100, 100, 3), np.uint8), [_face(2.0)])
    assert out[10, 50].any() and out[80, 50].any()  # box edges
    assert score_color(1.0) == (0, 255, 0) and score_color(0.0) == (0, 0, 255)
    assert out[30, 30, 1] > out[30, 30, 2]  # confident landmark: green
    assert out[60, 70, 2] > out[60, 70, 1]  # uncertain landmark: red


def test_without_scales_and_bad_image():
    face = dict(keypoints=np.array([[5.0, 5.0]]))
    assert draw_faces(np.zeros((10, 10, 3), np.uint8), [face])[5, 5].any()
    with pytest.raises(ValueError, match='BGR image'):
        draw_faces(np.zeros((10, 10), np.uint8), [face])
