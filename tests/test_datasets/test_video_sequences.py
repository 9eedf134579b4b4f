"""Rendered video sequences with exact ground-truth landmarks (mmlaplace.datasets.video_sequences).

Short sequences only (a few frames each), so the whole file runs in a few seconds.
"""
import functools
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmlaplace.datasets import video_sequences as vs
from mmlaplace.datasets.synthetic_faces import render_face, sample_face_params, sample_rng
from mmlaplace.datasets.synthetic_faces.face_params import FacePlacement

SHARED = Path(os.environ.get('MMLAPLACE_SHARED', Path(__file__).resolve().parents[3] / 'shared'))
DATA_300W = SHARED / 'data' / '300w_subset'


@pytest.fixture(scope='module')
def still():
    return vs.still_face_sequence(num_frames=4, seed=0)


@pytest.fixture(scope='module')
def moving():
    return vs.moving_face_sequence(num_frames=8, seed=0)


@pytest.fixture(scope='module')
def occluded():
    return vs.occluded_face_sequence(num_frames=9, seed=0)


def _fake_face(size=256):
    """A black image with a bright Gaussian dot on landmark 30 and a plausible 68-point face."""
    from mmlaplace.datasets.synthetic_faces import MEAN_SHAPE_3D
    kp = MEAN_SHAPE_3D[:, :2] * 120 + size / 2 + np.array([3.3, -2.7])
    yy, xx = np.mgrid[:size, :size]
    x0, y0 = kp[30]
    dot = 250 * np.exp(-((xx - x0)**2 + (yy - y0)**2) / (2 * 2.0**2))
    return np.repeat(np.round(dot)[..., None], 3, 2).astype(np.uint8), kp


def _check_sequence(seq, t, size):
    assert seq.frames.shape == (t, size, size, 3) and seq.frames.dtype == np.uint8
    assert seq.keypoints.shape == (t, 68, 2) and seq.keypoints.dtype == np.float32
    assert seq.occluded.shape == (t, 68) and seq.occluded.dtype == bool
    assert seq.num_frames == t and seq.frame_size == (size, size) and seq.fps == 30.0
    kp = seq.keypoints
    assert kp.min() >= 1 and kp.max() <= size - 2
    assert isinstance(seq.meta, dict) and seq.meta['varied']


def test_sample_face_params_at_a_pose_reproduces_the_generator():
    # the sampled pose given back as an argument draws exactly the same face (the datasets'
    # byte-identity is tests/test_datasets/test_synthetic_faces_identical.py)
    for i in (1, 0):
        a = sample_face_params(sample_rng(0, 'train', i), image_size=128)
        b = sample_face_params(sample_rng(0, 'train', i), image_size=128,
                               pose=(a.yaw, a.pitch, a.roll))
        assert np.allclose(a.keypoints, b.keypoints)
        assert np.array_equal(render_face(a), render_face(b))
    # a pose and a placement change the geometry, not the appearance
    c = sample_face_params(sample_rng(0, 'train', 0), image_size=128, pose=(20.0, 0.0, 0.0),
                            placement=FacePlacement(100.0, (64.0, 64.0)))
    assert c.yaw == 20.0 and c.texture_seed == a.texture_seed
    assert np.array_equal(c.appearance['skin'], a.appearance['skin'])
    assert np.ptp(c.keypoints[:, 0]) < 100.0  # turned face: narrower than at zero pose


def test_still_face(still):
    _check_sequence(still, 4, vs.DEFAULT_FRAME_SIZE)
    assert (still.keypoints == still.keypoints[0]).all()
    assert not still.occluded.any()
    # frames differ by fresh noise only: E|n1 - n2| = 2 sigma / sqrt(pi) for Gaussian noise
    diff = np.abs(still.frames[1].astype(np.float32) - still.frames[0]).mean()
    expected = 2 * 6.0 / np.sqrt(np.pi)
    assert 0.8 * expected < diff < 1.1 * expected
    clean = vs.still_face_sequence(num_frames=2, seed=0, noise_sigma=0.0)
    assert np.array_equal(clean.frames[0], clean.frames[1])
    assert abs(still.frames.astype(np.float32).mean() - clean.frames.astype(np.float32).mean()) < 1
    assert np.array_equal(clean.keypoints[0], still.keypoints[0])


def test_deterministic(still):
    again = vs.still_face_sequence(num_frames=4, seed=0)
    assert np.array_equal(again.frames, still.frames)
    assert np.array_equal(again.keypoints, still.keypoints)
    other = vs.still_face_sequence(num_frames=1, seed=1)
    assert not np.array_equal(other.keypoints[0], still.keypoints[0])


def test_moving_face(moving):
    _check_sequence(moving, 8, vs.DEFAULT_FRAME_SIZE)
    assert not moving.occluded.any()
    path = moving.meta['path']
    assert path['yaw'][0] == 0 and abs(path['yaw']).max() == pytest.approx(30.0)
    kp = moving.keypoints
    # the face geometry changes (it turns), not just a translation: the eye distance over the
    # face width and the left / right jaw halves change with the yaw
    ratio = np.linalg.norm(kp[:, 45] - kp[:, 36], axis=1) / np.ptp(kp[:, :, 0], axis=1)
    assert np.ptp(ratio) > 0.02
    # the appearance is the same: the background far from the face is the same image but noise
    corner = moving.frames[:, :40, :40].astype(np.float32)
    assert np.abs(corner[4] - corner[0]).mean() < 4
    # the default 120-frame path is smooth: landmark steps of at most a few pixels
    params = vs._moving_face_params(0, vs.DEFAULT_FRAME_SIZE, vs.moving_face_path(120))
    kp120 = np.stack([p.keypoints for p in params])
    step = np.linalg.norm(np.diff(kp120, axis=0), axis=-1)
    assert step.max() < 6.0
    assert np.abs(np.diff(step.mean(1))).max() < 0.5  # no jerks
    assert kp120.min() > 0 and kp120.max() < vs.DEFAULT_FRAME_SIZE - 1


def test_moving_face_leaving_the_frame_is_an_error():
    with pytest.raises(ValueError, match='leaves the 160x160 frame'):
        vs.moving_face_sequence(num_frames=2, frame_size=160)


def test_occluded_face(occluded):
    _check_sequence(occluded, 9, vs.DEFAULT_FRAME_SIZE)
    occ = occluded.occluded
    assert not occ[0].any() and not occ[-1].any()
    assert 15 <= occ[4].sum() <= 50  # about half of the face while holding
    kp = occluded.keypoints[4]
    centre = 0.5 * (kp[:, 0].min() + kp[:, 0].max())
    assert (kp[occ[4], 0] <= centre + 1).all()  # the image-left half (side='left')
    col = np.asarray(occluded.meta['occluder']['color_bgr'])
    poly = occluded.meta['occluder']['polygons'][4]
    inside = [k for k in np.flatnonzero(occ[4])
              if cv2.pointPolygonTest(poly, tuple(map(float, kp[k])), True) >= 3]
    assert inside
    frame = occluded.frames[4].astype(np.float32)
    for k in inside:
        x, y = np.round(kp[k]).astype(int)
        patch = frame[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3)
        assert np.abs(np.median(patch, axis=0) - col).max() < 3
    # not occluded frames show the face: far from the occluder colour at those landmarks
    first = occluded.frames[0].astype(np.float32)
    assert np.mean([np.abs(first[int(round(kp[k, 1])), int(round(kp[k, 0]))] - col).max()
                    for k in inside]) > 10


def test_affine_path_matches_the_warp():
    image, kp = _fake_face()
    seq = vs.affine_path_sequence(image, kp, num_frames=12, noise_sigma=0.0)
    _check_sequence(seq, 12, 256)
    mats = seq.meta['path']['matrices']
    assert mats.shape == (12, 2, 3)
    assert np.allclose(mats[0], [[1, 0, 0], [0, 1, 0]])
    for t in (0, 5, 9):
        expected = kp @ mats[t, :, :2].T + mats[t, :, 2]
        np.testing.assert_allclose(seq.keypoints[t], expected, atol=1e-4)
        # the warped dot's centroid is the transformed landmark 30
        w = seq.frames[t, :, :, 0].astype(np.float64)
        w[w < 20] = 0
        yy, xx = np.mgrid[:256, :256]
        centroid = np.array([(w * xx).sum(), (w * yy).sum()]) / w.sum()
        np.testing.assert_allclose(centroid, seq.keypoints[t, 30], atol=0.1)
    angle, scale = seq.meta['path']['angle'], seq.meta['path']['scale']
    assert abs(angle).max() <= 10 and 0.9 <= scale.min() and scale.max() <= 1.1
    noisy = vs.affine_path_sequence(image, kp, num_frames=2, noise_sigma=3.0, border='reflect')
    assert not np.array_equal(noisy.frames[0], image)
    assert np.array_equal(noisy.frames, vs.affine_path_sequence(
        image, kp, num_frames=2, noise_sigma=3.0, border='reflect').frames)


def test_affine_path_bad_input():
    image, kp = _fake_face()
    with pytest.raises(ValueError, match='keypoints must be'):
        vs.affine_path_sequence(image, kp[:10])
    with pytest.raises(ValueError, match='image must be'):
        vs.affine_path_sequence(image[..., 0], kp)
    with pytest.raises(ValueError, match='border must be'):
        vs.affine_path_sequence(image, kp, border='wrap')
    with pytest.raises(ValueError, match='leaves the'):
        vs.affine_path_sequence(image, kp, num_frames=4, shift_amplitude=2.0)


def test_load_300w_face_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.json'):
        vs.load_300w_face(str(tmp_path), 'annotations/missing.json')
    ann = dict(images=[dict(id=1, file_name='a/none.jpg', height=8, width=8)],
               annotations=[dict(image_id=1, keypoints=[0.0] * 204)])
    (tmp_path / 'ann.json').write_text(json.dumps(ann))
    with pytest.raises(FileNotFoundError, match='none.jpg'):
        vs.load_300w_face(str(tmp_path), 'ann.json')
    with pytest.raises(ValueError, match='index 3 out of range'):
        vs.load_300w_face(str(tmp_path), 'ann.json', index=3)


@pytest.mark.skipif(not (DATA_300W / vs.DEFAULT_300W_ANN_FILE).is_file(),
                    reason='shared 300W subset not found')
def test_real_300w_face_on_an_affine_path():
    image, kp = vs.load_300w_face(str(DATA_300W), index=0)
    assert image.shape == (256, 256, 3) and kp.shape == (68, 2)
    seq = vs.affine_path_sequence(image, kp, num_frames=6)
    _check_sequence(seq, 6, 256)
    np.testing.assert_allclose(seq.keypoints[0], kp, atol=1e-4)


def test_first_frames_have_a_detectable_face(still, moving, occluded):
    # OpenCV's Haar cascade as mmlaplace.apis.face_detection.HaarFaceDetector runs it (equalized
    # grey image, scale 1.1, 5 neighbours, faces >= 5% of the frame), without importing the
    # apis package (slow: it imports the models)
    cascade = os.path.join(getattr(getattr(cv2, 'data', None), 'haarcascades', ''),
                           'haarcascade_frontalface_default.xml')
    if not os.path.isfile(cascade):
        pytest.skip(f'no Haar cascade at {cascade}')
    detector = cv2.CascadeClassifier(cascade)
    for seq in (still, moving, occluded):
        gray = cv2.equalizeHist(cv2.cvtColor(seq.frames[0], cv2.COLOR_BGR2GRAY))
        side = int(0.05 * min(gray.shape))
        rects = np.asarray(detector.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5,
                                                     minSize=(side, side))).reshape(-1, 4)
        kp = seq.keypoints[0]
        cx, cy = 0.5 * (kp.min(0) + kp.max(0))
        hits = [r for r in rects if r[0] < cx < r[0] + r[2] and r[1] < cy < r[1] + r[3]]
        assert hits, f'{seq.name}: no face detected on the first frame'


def test_write_video(tmp_path, still):
    path = vs.write_video(str(tmp_path / 'sub' / 'still.avi'), still.frames, still.fps)
    cap = cv2.VideoCapture(path)
    count = 0
    while cap.read()[0]:
        count += 1
    cap.release()
    assert count == still.num_frames
    with pytest.raises(ValueError, match='extension'):
        vs.write_video(str(tmp_path / 'still.gif'), still.frames)
    with pytest.raises(ValueError, match='frames must be'):
        vs.write_video(str(tmp_path / 'x.avi'), still.frames[0])
    (tmp_path / 'file').write_text('')
    with pytest.raises(OSError):
        vs.write_video(str(tmp_path / 'file' / 'x.avi'), still.frames)


def test_standard_sequences(monkeypatch, tmp_path, still):
    short = dict(still_face_sequence=vs.still_face_sequence,
                 moving_face_sequence=vs.moving_face_sequence,
                 occluded_face_sequence=vs.occluded_face_sequence,
                 affine_path_sequence=vs.affine_path_sequence)
    for name, fn in short.items():
        monkeypatch.setattr(vs, name, functools.partial(fn, num_frames=1))
    seqs = vs.standard_sequences(seed=0)
    assert [s.name for s in seqs] == ['still_face', 'moving_face', 'occluded_face']
    assert np.array_equal(seqs[0].keypoints[0], still.keypoints[0])
    with pytest.warns(UserWarning, match='does not exist'):
        assert len(vs.standard_sequences(data_root=str(tmp_path / 'none'))) == 3
    if (DATA_300W / vs.DEFAULT_300W_ANN_FILE).is_file():
        seqs = vs.standard_sequences(data_root=str(DATA_300W))
        assert seqs[-1].name == 'affine_path' and seqs[-1].meta['image']['index'] == 0
