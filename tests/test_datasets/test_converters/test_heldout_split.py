import json
import os.path as osp

import pytest

from mmlaplace.datasets.converters.heldout_split import split_heldout, write_heldout_split


def _data(counts):
    images, anns, i = [], [], 0
    for comp, n in counts.items():
        for _ in range(n):
            images.append(dict(id=i, file_name=f'{comp}/{i}.jpg', height=8, width=8))
            anns.append(dict(id=100 + i, image_id=i, keypoints=[0] * 204))
            i += 1
    return dict(categories=[dict(id=1, name='face')], images=images, annotations=anns)


def test_split_is_disjoint_complete_stratified_and_seeded():
    data = _data({'afw': 30, 'helen/trainset': 50, 'lfpw/trainset': 20})
    fit, held = split_heldout(data, 10, seed=3)
    fit_ids = {im['id'] for im in fit['images']}
    held_ids = {im['id'] for im in held['images']}
    assert len(held_ids) == 10 and not fit_ids & held_ids
    assert fit_ids | held_ids == {im['id'] for im in data['images']}
    assert {a['image_id'] for a in held['annotations']} == held_ids
    assert {a['image_id'] for a in fit['annotations']} == fit_ids
    comps = sorted(im['file_name'].rsplit('/', 1)[0] for im in held['images'])
    assert comps.count('afw') == 3 and comps.count('helen/trainset') == 5
    assert comps.count('lfpw/trainset') == 2
    assert fit['categories'] == data['categories']
    again = split_heldout(data, 10, seed=3)[1]
    other = split_heldout(data, 10, seed=4)[1]
    assert again == held
    assert {im['id'] for im in other['images']} != held_ids


@pytest.mark.parametrize('n', [0, 100, -1])
def test_bad_size_is_refused(n):
    with pytest.raises(ValueError, match='num_heldout'):
        split_heldout(_data({'a': 100}), n)


def test_missing_key_and_file_are_named(tmp_path):
    with pytest.raises(KeyError, match='annotations'):
        split_heldout(dict(images=[]), 1)
    with pytest.raises(FileNotFoundError, match='nope.json'):
        write_heldout_split(str(tmp_path / 'nope.json'), str(tmp_path), 1)
    bad = tmp_path / 'bad.json'
    bad.write_text('{')
    with pytest.raises(ValueError, match='bad.json'):
        write_heldout_split(str(bad), str(tmp_path), 1)


def test_write_heldout_split(tmp_path):
    src = tmp_path / 'train.json'
    src.write_text(json.dumps(_data({'a': 8, 'b': 12})))
    fit, held = write_heldout_split(str(src), str(tmp_path / 'out'), 5)
    assert osp.basename(fit) == 'train_fit.json' and osp.basename(held) == 'train_heldout.json'
    assert len(json.load(open(fit))['images']) == 15
    assert len(json.load(open(held))['images']) == 5
