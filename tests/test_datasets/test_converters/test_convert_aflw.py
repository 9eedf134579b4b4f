"""Tests of the AFLW converters (Zhu et al.'s .mat split, the official sqlite, MMPose format)."""
import json
import shutil

import numpy as np
import pytest
from converter_helpers import write_aflw_mat

from mmlaplace.datasets.converters.aflw import (
    AFLW19_FEATURE_IDS,
    ann_file_aflw,
    convert_aflw,
    convert_aflw_mat,
    convert_aflw_sqlite,
    read_aflw_sqlite,
)


def _load(path):
    return json.loads(path.read_text())


def test_nineteen_points_drop_the_earlobes_in_mmpose_order():
    assert len(AFLW19_FEATURE_IDS) == 19 and 13 not in AFLW19_FEATURE_IDS
    assert 17 not in AFLW19_FEATURE_IDS and list(AFLW19_FEATURE_IDS) == sorted(AFLW19_FEATURE_IDS)
    # MMPose's AFLW flip pairs must map left/right AFLW features onto each other
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    meta = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/aflw.py'))
    pairs = {tuple(sorted(p)) for p in meta['flip_pairs']}
    assert pairs == {(0, 5), (1, 4), (2, 3), (6, 11), (7, 10), (8, 9), (12, 14), (15, 17)}
    left_right = {(1, 6), (2, 5), (3, 4), (7, 12), (8, 11), (9, 10), (14, 16), (18, 20)}
    assert {(AFLW19_FEATURE_IDS[a], AFLW19_FEATURE_IDS[b]) for a, b in pairs} == left_right


def test_mat_split_files_and_roundtrip(tmp_path, make_aflw_mat):
    mat, image_dir, arr = make_aflw_mat(n=6)
    out = tmp_path / 'annotations'
    report = convert_aflw_mat(str(mat), str(image_dir), str(out), num_train=4)
    order = arr['ra'] - 1
    frontal = [i for i in order[4:] if arr['mask'][i].all()]
    assert report['splits'] == dict(train=4, test=2, test_frontal=len(frontal))
    files = {s: _load(out / ann_file_aflw(s)) for s in ('train', 'test', 'test_frontal')}
    assert [a['id'] for a in files['train']['annotations']] == list(order[:4] + 1)
    assert [a['id'] for a in files['test']['annotations']] == list(order[4:] + 1)
    assert [a['id'] for a in files['test_frontal']['annotations']] == [i + 1 for i in frontal]

    from mmpose.datasets import AFLWDataset
    ds = AFLWDataset(ann_file=ann_file_aflw('test'), data_root=str(out),
                     data_prefix=dict(img=str(tmp_path) + '/'), pipeline=[], test_mode=True)
    assert len(ds) == 2
    for k, row in enumerate(order[4:]):
        info = ds[k]
        assert info['img_path'] == str(image_dir / arr['names'][row])
        np.testing.assert_allclose(info['keypoints'][0], arr['keypoints'][row], atol=1e-4)
        assert info['keypoints_visible'].all()  # occluded points stay labeled (v = 1)
        left, right, top, bottom = arr['boxes'][row]
        size = np.sqrt((right - left) * (bottom - top))
        assert info['box_size'] == pytest.approx(size)
        np.testing.assert_allclose(info['bbox_center'][0], [(left + right) / 2,
                                                            (top + bottom) / 2], rtol=1e-5)
        np.testing.assert_allclose(info['bbox_scale'][0], [size, size], rtol=1e-5)


@pytest.mark.parametrize('kwargs, error, message', [
    (dict(drop=('ra', )), ValueError, r"field\(s\) \['ra'\] missing"),
    (dict(data=np.zeros((6, 36))), ValueError, r'field data has shape \(6, 36\), expected'),
    (dict(ra=np.array([[1, 2, 3, 4, 5, 5]])), ValueError, 'ra must be a 1-based permutation'),
    (dict(bbox=np.tile([10.0, 5.0, 1.0, 9.0], (6, 1))), ValueError, 'field bbox rows'),
])
def test_mat_errors_name_file_and_field(tmp_path, make_aflw_mat, kwargs, error, message):
    mat, image_dir, _ = make_aflw_mat(n=6, **kwargs)
    with pytest.raises(error, match=message) as err:
        convert_aflw_mat(str(mat), str(image_dir), str(tmp_path / 'o'), num_train=4)
    assert 'AFLWinfo_release.mat' in str(err.value)


def test_mat_missing_image_bad_num_train_and_bad_file(tmp_path, make_aflw_mat):
    mat, image_dir, arr = make_aflw_mat(n=6)
    with pytest.raises(ValueError, match=r'num_train must be in \[1, 5\]'):
        convert_aflw_mat(str(mat), str(image_dir), str(tmp_path / 'o'), num_train=6)
    (image_dir / arr['names'][2]).unlink()
    with pytest.raises(FileNotFoundError, match='nameList row 3: image .*image00002.jpg'):
        convert_aflw_mat(str(mat), str(image_dir), str(tmp_path / 'o'), num_train=4)
    bad = tmp_path / 'broken.mat'
    bad.write_text('not a mat file')
    with pytest.raises(ValueError, match='broken.mat: not a readable .mat'):
        convert_aflw_mat(str(bad), str(image_dir), str(tmp_path / 'o'))
    with pytest.raises(ValueError, match='exactly one of'):
        convert_aflw(str(tmp_path / 'o'), str(image_dir))


def test_sqlite_drops_earlobes_and_marks_missing_points(tmp_path, make_aflw_sqlite):
    db, image_dir, coords, rects = make_aflw_sqlite()
    faces = read_aflw_sqlite(str(db))
    assert [f['face_id'] for f in faces] == [1, 2, 3, 4]  # face 5 has no FaceRect
    for face in faces:
        fid = face['face_id']
        for k, feature in enumerate(AFLW19_FEATURE_IDS):
            if feature in coords[fid]:
                assert face['visible'][k]
                np.testing.assert_allclose(face['keypoints'][k], coords[fid][feature])
            else:
                assert not face['visible'][k]
    assert faces[1]['visible'].sum() == 17
    out = tmp_path / 'ann'
    report = convert_aflw_sqlite(str(db), str(image_dir), str(out), num_train=3, seed=0)
    assert report['splits'] == dict(train=3, test=1) and report['skipped'] == 1
    anns = {a['id']: a for s in ('train', 'test')
            for a in _load(out / ann_file_aflw(s))['annotations']}
    assert sorted(anns) == [1, 2, 3, 4]
    kp = np.array(anns[2]['keypoints']).reshape(19, 3)
    assert anns[2]['num_keypoints'] == 17 and (kp[[3, 8]] == 0).all()
    x, y, w, h = rects[2]
    assert anns[2]['center'] == [x + w / 2, y + h / 2]
    assert anns[2]['box_size'] == pytest.approx(np.sqrt(w * h))
    from mmpose.datasets import AFLWDataset
    ds = AFLWDataset(ann_file=ann_file_aflw('train'), data_root=str(out),
                     data_prefix=dict(img=str(tmp_path) + '/'), pipeline=[], test_mode=True)
    assert len(ds) == 3 and all(ds[i]['keypoints'].shape == (1, 19, 2) for i in range(3))
    other = convert_aflw_sqlite(str(db), str(image_dir), str(tmp_path / 'seed1'), num_train=3,
                                seed=1)
    assert other['splits'] == report['splits']
    bad = tmp_path / 'empty.sqlite'
    bad.write_bytes(b'')
    with pytest.raises(ValueError, match='empty.sqlite: not an AFLW database'):
        read_aflw_sqlite(str(bad))


def test_reproduces_mmpose_aflw_samples(tmp_path, face_samples_300w):
    """MMPose's two AFLW test samples through a .mat whose box gives their center/box_size."""
    sample_dir = face_samples_300w.parent / 'aflw'
    ref = _load(sample_dir / 'test_aflw.json')
    n = len(ref['annotations'])
    names, kps, boxes = [], [], []
    image_dir = tmp_path / 'flickr'
    for img, ann in zip(ref['images'], ref['annotations']):
        names.append(f'0/{img["file_name"]}')
        (image_dir / '0').mkdir(parents=True, exist_ok=True)
        shutil.copy(sample_dir / img['file_name'], image_dir / names[-1])
        kps.append(np.array(ann['keypoints']).reshape(19, 3)[:, :2])
        (cx, cy), half = ann['center'], ann['box_size'] / 2
        boxes.append([cx - half, cx + half, cy - half, cy + half])
    mat = write_aflw_mat(tmp_path / 'AFLWinfo_release.mat', names, np.array(kps),
                         np.array(boxes), np.ones((n, 19)), np.arange(1, n + 1))
    convert_aflw_mat(str(mat), str(image_dir), str(tmp_path / 'ann'), file_prefix='',
                     num_train=1)
    out = [_load(tmp_path / 'ann' / ann_file_aflw(s)) for s in ('train', 'test')]
    assert all(list(o) == list(ref) and o['categories'] == ref['categories'] for o in out)
    for k, (ref_img, ref_ann) in enumerate(zip(ref['images'], ref['annotations'])):
        img, ann = out[k]['images'][0], out[k]['annotations'][0]
        assert list(img) == list(ref_img) and list(ann) == list(ref_ann)
        assert img['file_name'] == names[k]
        assert (img['height'], img['width']) == (ref_img['height'], ref_img['width'])
        for key, value in ref_ann.items():
            if key in ('id', 'image_id'):
                assert ann[key] == k + 1
                continue
            assert type(ann[key]) is type(value), key
            if isinstance(value, list):
                assert [type(v) for v in ann[key]] == [type(v) for v in value], key
                np.testing.assert_allclose(ann[key], value, rtol=1e-9, atol=1e-6, err_msg=key)
            else:
                assert ann[key] == pytest.approx(value, rel=1e-9), key
