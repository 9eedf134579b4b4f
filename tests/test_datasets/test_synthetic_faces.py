"""Synthetic faces: landmarks lie on drawn structure, 300W format, determinism, difficulty."""
import json
import os
import os.path as osp
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmlaplace.datasets.synthetic_faces import (
    FLIP_INDICES,
    MEAN_SHAPE_3D,
    ann_file_name,
    generate_dataset,
    generate_face,
    generate_split,
    render_face,
    sample_face_params,
    sample_rng,
)

SIZE = 128  # small images keep the tests fast; structure is checked in pixels all the same
NUM_NORMAL = 6
NUM_HARD = 3


@pytest.fixture(scope='module')
def rendered():
    """(keypoints, layers, difficulty) of a few normal and hard faces."""
    out = []
    for i in range(NUM_NORMAL):
        _, kp, layers = generate_face(i, seed=3, split='unit', image_size=SIZE,
                                      return_layers=True)
        out.append((kp, layers, 'normal'))
    for i in range(NUM_HARD):
        _, kp, layers = generate_face(i, seed=3, split='unit_hard', difficulty='hard',
                                      image_size=SIZE, return_layers=True)
        out.append((kp, layers, 'hard'))
    return out


def min_dist(mask: np.ndarray, point: np.ndarray) -> float:
    """Distance from a sub-pixel point to the nearest pixel centre of a binary mask."""
    ys, xs = np.nonzero(mask)
    assert len(xs), 'empty mask'
    return float(np.min(np.hypot(xs - point[0], ys - point[1])))


def boundary(mask: np.ndarray) -> np.ndarray:
    """Pixels on either side of a binary mask's boundary."""
    m = (mask > 0).astype(np.uint8)
    k = np.ones((3, 3), np.uint8)
    return cv2.dilate(m, k) != cv2.erode(m, k)


def test_mean_shape_is_symmetric_3d():
    assert MEAN_SHAPE_3D.shape == (68, 3)
    mirrored = MEAN_SHAPE_3D[FLIP_INDICES] * np.array([-1.0, 1.0, 1.0])
    np.testing.assert_allclose(mirrored, MEAN_SHAPE_3D, atol=1e-9)
    assert sorted(FLIP_INDICES.tolist()) == list(range(68))
    # nose tip in front, jaw corners behind: depth is real
    assert MEAN_SHAPE_3D[30, 2] > MEAN_SHAPE_3D[[36, 45, 48, 54], 2].max()
    assert MEAN_SHAPE_3D[[0, 16], 2].max() < MEAN_SHAPE_3D[36, 2]


def test_eye_landmarks_on_eye_outline(rendered):
    for kp, layers, _ in rendered:
        for j in (36, 39, 42, 45):  # corners
            assert min_dist(layers['eye_outline'], kp[j]) <= 1.0, j
        for j in range(36, 48):
            assert min_dist(layers['eye_outline'], kp[j]) <= 1.0, j


def test_jaw_on_face_silhouette_boundary(rendered):
    for kp, layers, _ in rendered:
        edge = boundary(layers['face'])
        for j in range(17):
            assert min_dist(edge, kp[j]) <= 1.0, j


def test_mouth_landmarks_on_lip_contours(rendered):
    for kp, layers, _ in rendered:
        edge = boundary(layers['lips'])
        for j in (48, 54):
            assert min_dist(edge, kp[j]) <= 1.0, j
        for j in range(48, 60):
            assert min_dist(edge, kp[j]) <= 1.0, j
        for j in range(60, 68):
            assert min_dist(layers['mouth_inner'], kp[j]) <= 1.0, j


def test_brow_and_nose_landmarks_on_drawn_strokes(rendered):
    for kp, layers, _ in rendered:
        for j in range(17, 27):
            assert min_dist(layers['brows'], kp[j]) <= 1.0, j
        for j in range(27, 31):
            assert min_dist(layers['nose_ridge'], kp[j]) <= 1.0, j
        for j in range(31, 36):
            assert min_dist(layers['nose_base'], kp[j]) <= 1.0, j


def test_inner_landmarks_inside_face(rendered):
    for kp, layers, difficulty in rendered:
        if difficulty != 'normal':
            continue
        face = cv2.dilate(layers['face'], np.ones((3, 3), np.uint8)) > 0
        idx = np.round(kp[17:]).astype(int)
        assert face[idx[:, 1], idx[:, 0]].all()


def test_landmarks_inside_image_for_normal_difficulty():
    for i in range(100):
        kp = sample_face_params(sample_rng(0, 'unit', i), 'normal', 256).keypoints
        assert kp.min() >= 0 and kp.max() <= 255, i
        side = (kp.max(0) - kp.min(0)).max()
        assert 0.35 * 256 < side < 0.65 * 256  # landmark box about half the image side


def test_hard_has_larger_yaw_than_normal():
    yaw = {
        d: np.mean([abs(sample_face_params(sample_rng(0, d, i), d, 64).yaw) for i in range(150)])
        for d in ('normal', 'hard')
    }
    assert yaw['hard'] > yaw['normal'] + 3.0


def test_render_is_deterministic_and_seeded():
    params = sample_face_params(sample_rng(1, 'unit', 0), 'normal', 96)
    a, b = render_face(params), render_face(params)
    assert a.shape == (96, 96, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    other, _ = generate_face(1, seed=1, split='unit', image_size=96)
    assert not np.array_equal(a, other)


def _read_all(root: str) -> dict:
    out = {}
    for base, _, files in os.walk(root):
        for f in files:
            if base.endswith('meta'):
                continue  # the manifests hold timings
            with open(osp.join(base, f), 'rb') as fh:
                out[osp.relpath(osp.join(base, f), root)] = fh.read()
    return out


@pytest.mark.slow  # starts worker processes / a subprocess
def test_generate_split_deterministic_and_worker_independent(tmp_path):
    kw = dict(split='train', num_images=5, image_size=SIZE)
    generate_split(str(tmp_path / 'a'), seed=7, num_workers=0, **kw)
    generate_split(str(tmp_path / 'b'), seed=7, num_workers=2, **kw)
    generate_split(str(tmp_path / 'c'), seed=8, num_workers=0, **kw)
    a, b, c = (_read_all(str(tmp_path / n)) for n in 'abc')
    assert len(a) == 5 + 2  # images, annotation file, file list
    assert a == b
    assert a.keys() == c.keys()
    assert a[ann_file_name('train')] != c[ann_file_name('train')]
    assert all(a[k] != c[k] for k in a if k.endswith('.jpg'))
    # sample i does not depend on the split size
    generate_split(str(tmp_path / 'd'), seed=7, num_workers=0, split='train', num_images=2,
                   image_size=SIZE)
    d = _read_all(str(tmp_path / 'd'))
    assert d['images/train/000001.jpg'] == a['images/train/000001.jpg']
    ann_a = json.loads(a[ann_file_name('train')])
    ann_d = json.loads(d[ann_file_name('train')])
    assert ann_d['annotations'][1] == ann_a['annotations'][1]


def test_annotation_format_matches_300w(tmp_path, face_samples_300w_optional):
    paths = generate_split(str(tmp_path), 'test', 3, seed=0, image_size=SIZE, num_workers=0)
    with open(paths['ann_file']) as f:
        data = json.load(f)
    assert list(data) == ['categories', 'images', 'annotations']
    assert data['categories'] == [{'supercategory': 'person', 'id': 1, 'name': 'face',
                                   'keypoints': [], 'skeleton': []}]
    assert list(data['images'][0]) == ['id', 'file_name', 'height', 'width']
    assert list(data['annotations'][0]) == [
        'image_id', 'id', 'keypoints', 'num_keypoints', 'bbox', 'iscrowd', 'area', 'category_id',
        'center', 'scale'
    ]
    for img, ann in zip(data['images'], data['annotations']):
        assert osp.isfile(osp.join(str(tmp_path), 'images', img['file_name']))
        assert ann['image_id'] == img['id'] and (img['height'], img['width']) == (SIZE, SIZE)
        kp = np.array(ann['keypoints']).reshape(68, 3)
        assert (kp[:, 2] == 2).all() and ann['num_keypoints'] == 68
        x, y, w, h = ann['bbox']
        np.testing.assert_allclose([x, y, x + w, y + h],
                                   [*kp[:, :2].min(0), *kp[:, :2].max(0)], atol=2e-3)
        np.testing.assert_allclose(ann['center'], [x + w / 2, y + h / 2], atol=2e-3)
        assert ann['scale'] == pytest.approx(max(w, h) / 200, abs=1e-5)
        assert ann['area'] == pytest.approx(w * h, rel=1e-4)
    if face_samples_300w_optional is not None:  # same keys as MMPose's own 300W sample file
        with open(face_samples_300w_optional) as f:
            real = json.load(f)
        assert set(real) == set(data)
        assert set(real['images'][0]) == set(data['images'][0])
        assert set(real['annotations'][0]) == set(data['annotations'][0])
        assert real['categories'] == data['categories']


@pytest.fixture
def face_samples_300w_optional():
    """MMPose's own 300W sample annotation file when ../shared is there, else None."""
    shared = Path(os.environ.get('MMLAPLACE_SHARED',
                                 Path(__file__).resolve().parents[2].parent / 'shared'))
    path = shared / 'data' / 'mmpose_face_samples' / '300w' / 'test_300w.json'
    return str(path) if path.is_file() else None


def test_loads_through_mmpose_face300w_dataset(tmp_path):
    pytest.importorskip('mmpose')
    from mmpose.datasets import Face300WDataset
    paths = generate_split(str(tmp_path), 'train', 3, seed=0, image_size=SIZE, num_workers=0)
    ds = Face300WDataset(ann_file=ann_file_name('train'), data_root=str(tmp_path),
                         data_prefix=dict(img='images/'), pipeline=[], test_mode=True)
    assert len(ds) == 3
    with open(paths['ann_file']) as f:
        anns = json.load(f)['annotations']
    for i in range(3):
        info = ds[i]
        assert info['keypoints'].shape == (1, 68, 2)
        assert osp.isfile(info['img_path'])
        np.testing.assert_allclose(info['keypoints'][0].ravel(),
                                   np.array(anns[i]['keypoints']).reshape(68, 3)[:, :2].ravel(),
                                   atol=1e-3)


def test_unlabeled_split_and_idempotence(tmp_path):
    root = str(tmp_path)
    paths = generate_split(root, 'unlabeled', 3, seed=0, image_size=64, labeled=False,
                           num_workers=0)
    assert paths['ann_file'] is None
    assert not osp.exists(osp.join(root, ann_file_name('unlabeled')))
    with open(paths['file_list']) as f:
        assert f.read().split() == [f'unlabeled/{i:06d}.jpg' for i in range(3)]
    img = osp.join(root, 'images', 'unlabeled', '000000.jpg')
    mtime = os.stat(img).st_mtime_ns
    generate_split(root, 'unlabeled', 3, seed=0, image_size=64, labeled=False, num_workers=0)
    assert os.stat(img).st_mtime_ns == mtime  # complete split skipped
    with pytest.raises(FileExistsError):
        generate_split(root, 'unlabeled', 3, seed=1, image_size=64, labeled=False,
                       num_workers=0)
    generate_split(root, 'unlabeled', 2, seed=1, image_size=64, labeled=False, num_workers=0,
                   overwrite=True)
    assert sorted(os.listdir(osp.join(root, 'images', 'unlabeled'))) == ['000000.jpg',
                                                                        '000001.jpg']


def test_generate_dataset_splits(tmp_path):
    paths = generate_dataset(str(tmp_path), seed=0, num_train=2, num_test=1, num_test_hard=1,
                             num_unlabeled=2, image_size=64, num_workers=0)
    assert set(paths) == {'train', 'test', 'test_hard', 'unlabeled'}
    assert paths['unlabeled']['ann_file'] is None
    for split in ('train', 'test', 'test_hard'):
        assert osp.isfile(paths[split]['ann_file'])
    # splits use disjoint seed streams
    a = cv2.imread(osp.join(paths['train']['img_dir'], '000000.jpg'))
    b = cv2.imread(osp.join(paths['test']['img_dir'], '000000.jpg'))
    assert a.shape == (64, 64, 3) and not np.array_equal(a, b)


@pytest.mark.slow  # starts worker processes / a subprocess
def test_cli(tmp_path, tool):
    out = tmp_path / 'faces'
    proc = tool('generate_synthetic_faces.py', [
        '--out-dir', str(out), '--num-train', '2', '--num-test', '1', '--num-test-hard', '1',
        '--num-unlabeled', '1', '--image-size', '64', '--workers', '1'
    ])
    assert 'total 5 images' in proc.stdout
    assert (out / ann_file_name('test_hard')).is_file()
