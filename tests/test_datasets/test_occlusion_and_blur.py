"""RandomRectangleOcclusion / RandomGaussianBlur: what they change, probabilities, bad input."""
import numpy as np
import pytest

import mmlaplace  # noqa: F401
from mmlaplace.datasets.transforms import RandomGaussianBlur, RandomRectangleOcclusion


def _results():
    img = np.full((64, 48, 3), 128, np.uint8)
    kpts = np.array([[[10.0, 20.0]]])
    return dict(img=img, keypoints=kpts.copy(), keypoints_visible=np.ones((1, 1)))


def test_occlusion_paints_one_rectangle_within_size_and_keeps_keypoints():
    for seed in range(20):
        res = RandomRectangleOcclusion(max_size=20, prob=1.0, seed=seed)(_results())
        changed = np.argwhere((res['img'] != 128).any(-1))
        assert len(changed) > 0 or (res['img'] == 128).all()  # a colour of 128 is possible
        if len(changed):
            (y0, x0), (y1, x1) = changed.min(0), changed.max(0)
            assert y1 - y0 < 20 and x1 - x0 < 20
            # a filled rectangle: every pixel in the bounding box changed
            assert len(changed) == (y1 - y0 + 1) * (x1 - x0 + 1)
        np.testing.assert_array_equal(res['keypoints'], [[[10.0, 20.0]]])


def test_probability_zero_and_frequency():
    res = RandomRectangleOcclusion(prob=0.0, seed=0)(_results())
    assert (res['img'] == 128).all()
    blur = RandomGaussianBlur(max_radius=3, prob=0.3, seed=0)
    img = np.zeros((16, 16, 3), np.uint8)
    img[8, 8] = 255
    hits = sum(int(not np.array_equal(blur(dict(img=img.copy()))['img'], img))
               for _ in range(400))
    assert 80 < hits < 160  # 0.3 x 400 = 120


def test_blur_spreads_a_point_and_keeps_the_mean():
    img = np.zeros((21, 21, 3), np.float32)
    img[10, 10] = 100.0
    out = RandomGaussianBlur(max_radius=5, prob=1.0, seed=1)(dict(img=img.copy()))['img']
    assert out[10, 10, 0] < 100 and out[10, 11, 0] > 0
    assert out.sum() == pytest.approx(img.sum(), rel=1e-3)


@pytest.mark.parametrize('build, match', [
    (lambda: RandomRectangleOcclusion(max_size=0), 'max_size'),
    (lambda: RandomRectangleOcclusion(prob=1.5), 'prob'),
    (lambda: RandomGaussianBlur(max_radius=0), 'max_radius'),
    (lambda: RandomGaussianBlur(prob=-0.1), 'prob'),
])
def test_bad_arguments_are_refused(build, match):
    with pytest.raises(ValueError, match=match):
        build()
