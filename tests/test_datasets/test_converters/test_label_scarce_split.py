import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmlaplace.datasets import UnlabeledFaceDataset
from mmlaplace.datasets.converters.label_scarce_split import (
    fraction_tag,
    labeled_count,
    split_label_scarce,
    write_label_scarce_split,
)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _data(n=100):
    images = [dict(id=i, file_name=f'{"afw" if i % 3 else "helen"}/{i}.jpg', height=8,
                   width=8) for i in range(n)]
    anns = [dict(id=1000 + i, image_id=i, bbox=[1, 1, 5, 6], keypoints=[0] * 204)
            for i in range(n)]
    return dict(categories=[dict(id=1, name='face')], images=images, annotations=anns)


def _ids(part):
    return {im['id'] for im in part['images']}


def test_parts_are_disjoint_complete_nested_and_seeded():
    data = _data()
    held, parts = split_label_scarce(data, [0.05, 0.1, 0.25], [0, 1], num_heldout=20)
    assert len(held['images']) == 20
    for (fraction, _seed), (lab, unl) in parts.items():
        assert len(lab['images']) == labeled_count(fraction, 100) == round(fraction * 100)
        assert not _ids(lab) & _ids(unl) and not (_ids(lab) | _ids(unl)) & _ids(held)
        assert _ids(lab) | _ids(unl) | _ids(held) == set(range(100))
        assert {a['image_id'] for a in lab['annotations']} == _ids(lab)
    for seed in (0, 1):  # one permutation per seed: 5 % in 10 % in 25 %
        assert _ids(parts[(0.05, seed)][0]) < _ids(parts[(0.1, seed)][0]) \
            < _ids(parts[(0.25, seed)][0])
    assert _ids(parts[(0.1, 0)][0]) != _ids(parts[(0.1, 1)][0])
    _, again = split_label_scarce(data, [0.1], [0], num_heldout=20)
    assert again[(0.1, 0)] == parts[(0.1, 0)]


@pytest.mark.parametrize('fraction', [0, -0.1, 1.5, float('nan'), 'ten'])
def test_fraction_outside_the_unit_interval_is_refused(fraction):
    with pytest.raises(ValueError, match='fraction must be'):
        split_label_scarce(_data(), [fraction], [0], num_heldout=20)


def test_more_labels_than_left_is_refused():
    with pytest.raises(ValueError, match='only 80 are left'):
        split_label_scarce(_data(), [0.9], [0], num_heldout=20)


def test_fraction_tag():
    assert fraction_tag(0.1) == 'f10' and fraction_tag(0.05) == 'f5'
    assert fraction_tag(0.025) == 'f2.5' and fraction_tag(1) == 'f100'


def _write_images(root, data):
    from PIL import Image
    for im in data['images']:
        path = osp.join(root, 'images', im['file_name'])
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(path)


def test_written_protocol_feeds_the_datasets(tmp_path):
    data = _data(40)
    src = tmp_path / 'src'
    (src / 'annotations').mkdir(parents=True)
    ann = src / 'annotations' / 'train.json'
    ann.write_text(json.dumps(data))
    _write_images(str(src), data)
    out = tmp_path / 'protocol'
    paths = write_label_scarce_split(str(ann), str(out), [0.1], [0], num_heldout=8)
    assert osp.realpath(out / 'images') == osp.realpath(src / 'images')
    assert {osp.basename(p) for p in paths} == {
        'heldout.json', 'f10_s0_labeled.json', 'f10_s0_unlabeled_boxes.txt',
        'f10_s0_labeled_boxes.txt', 'protocol.json'}
    summary = json.loads((out / 'protocol.json').read_text())
    assert summary['subsets'] == [dict(fraction=0.1, seed=0, num_labeled=4, num_unlabeled=28)]
    unl = UnlabeledFaceDataset(data_root=str(out), ann_file='f10_s0_unlabeled_boxes.txt',
                               data_prefix=dict(img='images/'))
    assert len(unl) == 28
    info = unl.get_data_info(0)
    np.testing.assert_allclose(info['bbox'], [[1, 1, 6, 7]])
    labeled = json.loads((out / 'f10_s0_labeled.json').read_text())
    assert not {osp.join('images', im['file_name']) for im in labeled['images']} & {
        osp.relpath(unl.get_data_info(i)['img_path'], str(out)) for i in range(len(unl))}
    # the d_l = d_u control's stream: exactly the labeled images
    same = UnlabeledFaceDataset(data_root=str(out), ann_file='f10_s0_labeled_boxes.txt',
                                data_prefix=dict(img='images/'))
    assert sorted(osp.relpath(same.get_data_info(i)['img_path'], str(out))
                  for i in range(len(same))) == sorted(
                      osp.join('images', im['file_name']) for im in labeled['images'])
    # written again: same files, the existing link accepted
    write_label_scarce_split(str(ann), str(out), [0.1], [0], num_heldout=8)


def test_tool_names_the_bad_input(tmp_path):
    tool = osp.join(ROOT, 'tools', 'dataset_converters', 'label_scarce_split.py')
    missing = subprocess.run([sys.executable, tool, str(tmp_path / 'nope.json'), '--out-dir',
                              str(tmp_path / 'o')], capture_output=True, text=True)
    assert missing.returncode == 1 and 'nope.json' in missing.stderr
    (tmp_path / 'annotations').mkdir()
    ann = tmp_path / 'annotations' / 'a.json'
    ann.write_text(json.dumps(_data(40)))
    (tmp_path / 'images').mkdir()
    bad = subprocess.run([sys.executable, tool, str(ann), '--out-dir', str(tmp_path / 'o'),
                          '--fractions', '1.5'], capture_output=True, text=True)
    assert bad.returncode == 1 and 'fraction must be in (0, 1]' in bad.stderr
    no_images = subprocess.run([sys.executable, tool, str(ann), '--out-dir',
                                str(tmp_path / 'o'), '--img-dir', str(tmp_path / 'none')],
                               capture_output=True, text=True)
    assert no_images.returncode == 1 and 'image folder not found' in no_images.stderr
