"""Tests of UnlabeledFaceDataset (folders of unlabeled faces, the paper's 5-point crop)."""
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

from mmlaplace.datasets.unlabeled_face_dataset import (
    UnlabeledFaceDataset,
    five_point_crop,
    resolve_metainfo_file,
)

PIPELINE = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=(32, 32)),
    dict(type='PackPoseInputs')
]


pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(autouse=True)
def _mmpose_scope():
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


def write_image(path: Path, h: int = 40, w: int = 30) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((h, w, 3), 127, np.uint8))
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / 'faces'
    for name in ('b.jpg', 'a.PNG', 'sub/c.jpeg', 'sub/deeper/d.bmp', 'e.webp'):
        write_image(root / name)
    (root / 'notes.txt').write_text('not an image')
    return root


def test_folder_listing_is_recursive_sorted_and_mmpose_formatted(folder):
    ds = UnlabeledFaceDataset(data_root=str(folder), pipeline=PIPELINE)
    names = [Path(ds.get_data_info(i)['img_path']).relative_to(folder).as_posix()
             for i in range(len(ds))]
    assert names == sorted(['a.PNG', 'b.jpg', 'e.webp', 'sub/c.jpeg', 'sub/deeper/d.bmp'])
    info = ds.get_data_info(0)
    assert info['bbox'].shape == (1, 4) and np.allclose(info['bbox'], [[0, 0, 30, 40]])
    assert np.allclose(info['bbox_center'], [[15, 20]]) and np.allclose(info['bbox_scale'],
                                                                        [[30, 40]])
    assert info['keypoints'].shape == (1, 68, 2) and not info['keypoints'].any()
    assert info['keypoints_visible'].shape == (1, 68) and not info['keypoints_visible'].any()
    assert info['category_id'] == 1 and info['id'] == info['img_id'] == 0
    assert len(info['flip_indices']) == 68 and info['dataset_name'] == '300w'
    assert ds.metainfo['num_keypoints'] == 68
    sample = ds[0]
    assert tuple(sample['inputs'].shape) == (3, 32, 32)
    assert sample['data_samples'].gt_instances.keypoints.shape == (1, 68, 2)


def test_five_point_crop_rule():
    points = np.array([[10, 20], [30, 22], [20, 30], [12, 40], [28, 41]], dtype=float)
    centre, side = five_point_crop(points)  # box x 10..30 (w 20), y 20..41 (h 21)
    assert np.allclose(centre, [20, 30.5]) and side == pytest.approx(42.0)


def test_annotation_file_with_boxes_and_five_points(folder):
    ann = folder / 'faces.txt'
    ann.write_text('# file x y w h  |  file x1 y1 ... x5 y5\n'
                   'b.jpg 2 4 10 20\n'
                   '\n'
                   'sub/c.jpeg 10 20 30 22 20 30 12 40 28 41\n')
    ds = UnlabeledFaceDataset(ann_file=str(ann), data_root=str(folder), pipeline=PIPELINE)
    assert len(ds) == 2
    box, five = (ds.get_data_info(i) for i in range(2))
    assert box['img_path'].endswith('b.jpg')
    assert np.allclose(box['bbox'], [[2, 4, 12, 24]]) and np.allclose(box['bbox_scale'],
                                                                      [[10, 20]])
    assert np.allclose(five['bbox_center'], [[20, 30.5]])
    assert np.allclose(five['bbox_scale'], [[42, 42]])
    assert np.allclose(five['bbox'], [[-1, 9.5, 41, 51.5]])
    sample = ds[1]  # the crop of the pipeline is exactly that square (padding 1.0)
    assert np.allclose(sample['data_samples'].metainfo['input_scale'], [42, 42])


def test_num_unlabeled_cap_is_a_deterministic_subset(folder):
    def paths(**kwargs):
        ds = UnlabeledFaceDataset(data_root=str(folder), **kwargs)
        return [ds.get_data_info(i)['img_path'] for i in range(len(ds))]

    everything = paths()
    first = paths(num_unlabeled=3, subset_seed=0)
    assert len(first) == 3 and first == sorted(first) and set(first) <= set(everything)
    assert paths(num_unlabeled=3, subset_seed=0) == first
    assert paths(num_unlabeled=3, subset_seed=1) != first  # (C(5, 3) = 10 subsets)
    assert paths(num_unlabeled=99) == everything


def test_missing_and_empty_folders_name_the_path(tmp_path):
    missing = tmp_path / 'nowhere'
    with pytest.raises(FileNotFoundError, match=str(missing)):
        UnlabeledFaceDataset(data_root=str(missing))
    empty = tmp_path / 'empty'
    (empty / 'sub').mkdir(parents=True)
    (empty / 'sub' / 'readme.txt').write_text('x')
    with pytest.raises(FileNotFoundError, match=f'no image .* found under {empty}'):
        UnlabeledFaceDataset(data_root=str(empty))


@pytest.mark.parametrize('line,error,message', [
    ('missing.jpg 1 2 3 4', FileNotFoundError, 'line 2: image .*missing.jpg not found'),
    ('b.jpg 1 2 3', ValueError, 'line 2: expected'),
    ('b.jpg 1 2 x 4', ValueError, 'line 2: non-numeric'),
    ('b.jpg 1 2 0 4', ValueError, 'line 2: box width and height'),
    ('b.jpg 1 1 1 1 1 1 1 1 1 1', ValueError, 'line 2: the 5 points coincide'),
])
def test_bad_annotation_lines_name_file_and_line(folder, line, error, message):
    ann = folder / 'bad.txt'
    ann.write_text(f'a.PNG 0 0 5 5\n{line}\n')
    with pytest.raises(error, match=f'{ann}, {message}'):
        UnlabeledFaceDataset(ann_file=str(ann), data_root=str(folder))
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        UnlabeledFaceDataset(ann_file='nope.txt', data_root=str(folder))


def test_unreadable_images_name_the_path(folder):
    broken = folder / 'zz_broken.jpg'
    broken.write_bytes(b'this is not a jpeg')
    # whole-image mode: the size is read from the header
    ds = UnlabeledFaceDataset(data_root=str(folder), pipeline=PIPELINE)
    with pytest.raises(OSError, match=str(broken)):
        ds[len(ds) - 1]
    # with a box: MMPose's LoadImage fails and names the path
    ann = folder / 'faces.txt'
    ann.write_text('zz_broken.jpg 0 0 10 10\n')
    ds = UnlabeledFaceDataset(ann_file=str(ann), data_root=str(folder), pipeline=PIPELINE)
    with pytest.raises(Exception, match=str(broken)):
        ds[0]


def test_metainfo_file_is_found_in_the_mmpose_package():
    path = resolve_metainfo_file('configs/_base_/datasets/300w.py')
    assert path.endswith('300w.py')
    with pytest.raises(FileNotFoundError, match='nothere.py'):
        resolve_metainfo_file('configs/_base_/datasets/nothere.py')
