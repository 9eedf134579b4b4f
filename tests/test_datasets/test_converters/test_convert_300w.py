"""Tests of the 300W archive converter (.pts reading, splits, MMPose's file conventions)."""
import json
import shutil

import numpy as np
import pytest
from converter_helpers import random_points, write_image, write_pts

from mmlaplace.datasets.converters.face300w import (
    SPLITS_300W,
    SUBSETS_300W,
    ann_file_300w,
    convert_300w,
    read_pts,
)


@pytest.mark.parametrize('header', [True, False])
def test_read_pts_with_and_without_header_is_zero_based(tmp_path, header):
    pts = random_points(np.random.default_rng(3))
    path = write_pts(tmp_path / 'a.pts', pts, header=header)
    np.testing.assert_allclose(read_pts(str(path)), pts - 1)
    np.testing.assert_allclose(read_pts(str(path), one_based=False), pts)


@pytest.mark.parametrize('edit, message', [
    (lambda lines: lines[:-2] + lines[-1:], 'n_points: 68 but the file lists 67'),
    (lambda lines: lines[3:-2], 'expected 68 points, found 67'),
    (lambda lines: lines[:5] + ['12.5 abc'] + lines[6:], 'line 6: non-numeric'),
    (lambda lines: lines[:5] + ['1 2 3'] + lines[6:], 'line 6: expected "x y", got 3'),
    (lambda lines: lines[:5] + ['nan 2'] + lines[6:], 'line 6: non-finite'),
    (lambda lines: lines[:-1], 'not closed'),
    (lambda lines: lines[:1] + ['n_points: many'] + lines[2:], 'line 2: n_points is not'),
    (lambda lines: lines + ['5 5'], 'line 73: unexpected text after'),
])
def test_read_pts_errors_name_file_and_line(tmp_path, edit, message):
    path = write_pts(tmp_path / 'bad.pts', random_points(np.random.default_rng(4)))
    path.write_text('\n'.join(edit(path.read_text().splitlines())) + '\n')
    with pytest.raises(ValueError, match=message) as err:
        read_pts(str(path))
    assert str(path) in str(err.value)


def test_read_pts_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pts'):
        read_pts(str(tmp_path / 'nope.pts'))


def test_convert_full_archive_splits_and_roundtrip(tmp_path, make_300w_archive):
    root, truth = make_300w_archive()
    out = tmp_path / 'annotations'
    report = convert_300w(str(root), str(out))
    assert report['subsets'] == {s: 2 for s in SUBSETS_300W}
    expected = {split: 2 * len(subsets) for split, (subsets, _) in SPLITS_300W.items()}
    assert report['splits'] == expected
    # tiny subsets: every subset warns about the official count
    assert sum('the official archive has' in w for w in report['warnings']) == len(SUBSETS_300W)
    data = {s: json.loads((out / ann_file_300w(s)).read_text()) for s in SPLITS_300W}
    for split, (subsets, _) in SPLITS_300W.items():
        names = [img['file_name'] for img in data[split]['images']]
        assert [n.rsplit('/', 1)[0] for n in names] == [s for s in subsets for _ in range(2)]
    # ids are shared between files: full = common + challenge
    ids = lambda d: [a['id'] for a in d['annotations']]  # noqa: E731
    assert ids(data['valid']) == ids(data['valid_common']) + ids(data['valid_challenge'])
    all_ids = sum((ids(data[s]) for s in ('train', 'valid', 'test')), [])
    assert len(set(all_ids)) == len(all_ids) == 2 * len(SUBSETS_300W)

    from mmpose.datasets import Face300WDataset
    for split in SPLITS_300W:
        ds = Face300WDataset(ann_file=ann_file_300w(split), data_root=str(out),
                             data_prefix=dict(img=str(root)), pipeline=[], test_mode=True)
        assert len(ds) == expected[split]
        for i in range(len(ds)):
            info = ds[i]
            rel = data[split]['images'][i]['file_name']
            assert info['img_path'].endswith(rel)
            np.testing.assert_allclose(info['keypoints'][0], truth[rel], atol=1e-4)
            assert info['keypoints_visible'].all()
            # MMPose's scale: the longest side of the integer landmark box
            lo, hi = np.floor(truth[rel].min(0)), np.ceil(truth[rel].max(0))
            np.testing.assert_allclose(info['bbox_scale'][0], [(hi - lo).max()] * 2, rtol=1e-5)
            np.testing.assert_allclose(info['bbox_center'][0], (lo + hi) / 2, rtol=1e-5)


def test_missing_subset_skips_its_splits_or_fails_strict(tmp_path, make_300w_archive):
    root, _ = make_300w_archive(skip=('ibug', ))
    out = tmp_path / 'ann'
    report = convert_300w(str(root), str(out))
    assert report['subsets']['ibug'] is None
    assert report['splits']['valid_challenge'] is None and report['splits']['valid'] is None
    assert report['splits']['valid_common'] == 4 and report['splits']['train'] == 6
    assert not (out / ann_file_300w('valid')).exists()
    assert (out / ann_file_300w('test')).is_file()
    assert any('ibug' in w and 'missing' in w for w in report['warnings'])
    with pytest.raises(ValueError, match='subset ibug: folder missing'):
        convert_300w(str(root), str(tmp_path / 'strict'), strict=True)
    # strict with only the complete splits still fails on the unofficial counts
    with pytest.raises(ValueError, match='lfpw/testset: 2 faces, the official archive has 224'):
        convert_300w(str(root), str(tmp_path / 'strict'), splits=['valid_common'], strict=True)
    # only the requested splits are read and written
    report = convert_300w(str(root), str(tmp_path / 'test_only'), splits=['test'])
    assert set(report['subsets']) == {'300W/01_Indoor', '300W/02_Outdoor'}
    assert [p.name for p in (tmp_path / 'test_only').iterdir()] == [ann_file_300w('test')]


def test_alternative_test_folder_and_visibility_and_prefix(tmp_path, make_300w_archive):
    root, truth = make_300w_archive()
    shutil.move(str(root / '300W'), str(root / 'Test'))
    report = convert_300w(str(root), str(tmp_path / 'a'), splits=['test'], visibility=2,
                          file_prefix='images/')
    assert report['splits'] == {'test': 4}
    data = json.loads((tmp_path / 'a' / ann_file_300w('test')).read_text())
    assert all(img['file_name'].startswith('images/Test/0') for img in data['images'])
    assert all(a['keypoints'][2::3] == [2] * 68 for a in data['annotations'])


def test_missing_image_and_bad_pts_name_the_file(tmp_path, make_300w_archive):
    root, _ = make_300w_archive(counts={'afw': 1})
    write_pts(root / 'afw' / 'orphan.pts', random_points(np.random.default_rng(5)))
    with pytest.raises(FileNotFoundError, match=r'orphan\.pts: no image orphan'):
        convert_300w(str(root), str(tmp_path / 'o'), splits=['train'])
    (root / 'afw' / 'orphan.pts').unlink()
    write_image(root / 'ibug' / 'short.jpg')
    write_pts(root / 'ibug' / 'short.pts', random_points(np.random.default_rng(6), k=67))
    with pytest.raises(ValueError, match=r'short\.pts: expected 68 points, found 67'):
        convert_300w(str(root), str(tmp_path / 'o'), splits=['valid_challenge'])
    with pytest.raises(ValueError, match='unknown 300W split'):
        convert_300w(str(root), str(tmp_path / 'o'), splits=['validation'])
    with pytest.raises(FileNotFoundError, match='does not exist'):
        convert_300w(str(tmp_path / 'none'), str(tmp_path / 'o'))


def test_reproduces_mmpose_300w_samples(tmp_path, face_samples_300w):
    """MMPose's two 300W test samples: .pts = their keypoints + 1 -> the same file."""
    ref = json.loads((face_samples_300w / 'test_300w.json').read_text())
    root = tmp_path / 'archive'
    # both samples are indoor faces; one goes to 02_Outdoor so that the test split is complete
    for img, folder in zip(ref['images'], ('300W/01_Indoor', '300W/02_Outdoor')):
        dst = root / folder / img['file_name']
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(face_samples_300w / img['file_name'], dst)
        ann = next(a for a in ref['annotations'] if a['image_id'] == img['id'])
        kp = np.array(ann['keypoints'], dtype=np.float64).reshape(68, 3)[:, :2]
        # iBUG's .pts hold 3 decimals
        write_pts(dst.with_suffix('.pts'), np.round(kp + 1, 3))
    convert_300w(str(root), str(tmp_path / 'ann'), splits=['test'])
    out = json.loads((tmp_path / 'ann' / ann_file_300w('test')).read_text())
    assert out['categories'] == ref['categories']
    assert list(out) == list(ref)
    by_name = {img['file_name'].rsplit('/', 1)[1]: (img, ann)
               for img, ann in zip(out['images'], out['annotations'])}
    for ref_img in ref['images']:
        img, ann = by_name[ref_img['file_name']]
        ref_ann = next(a for a in ref['annotations'] if a['image_id'] == ref_img['id'])
        assert list(img) == list(ref_img) and list(ann) == list(ref_ann)
        assert (img['height'], img['width']) == (ref_img['height'], ref_img['width'])
        for key, value in ref_ann.items():
            if key in ('id', 'image_id'):
                assert ann[key] == img['id']
                continue
            assert type(ann[key]) is type(value), key
            if isinstance(value, list):
                assert [type(v) for v in ann[key]] == [type(v) for v in value], key
                np.testing.assert_allclose(ann[key], value, rtol=1e-9, atol=1e-6, err_msg=key)
            else:
                assert ann[key] == pytest.approx(value, rel=1e-9), key
