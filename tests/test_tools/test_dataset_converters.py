"""The dataset-converter CLIs on tiny generated archives.

Each CLI runs once as a subprocess (end to end); further runs (error paths) call its ``main``
in this process, which saves the ~5 s package import of a fresh interpreter.
"""
import json
import sqlite3
import sys
from pathlib import Path
from typing import List, Tuple

import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

SUBSETS = ['afw', 'helen/trainset', 'lfpw/trainset', 'helen/testset', 'lfpw/testset', 'ibug',
           '300W/01_Indoor', '300W/02_Outdoor']


def run_main(load_tool, script: str, args: List[str], capsys,
             monkeypatch) -> Tuple[int, str, str]:
    """``tools/<script>``'s ``main()`` in this process: (exit code, stdout, stderr)."""
    module = load_tool(script)
    monkeypatch.setattr(sys, 'argv', [script, *args])
    capsys.readouterr()
    rc = module.main()
    out = capsys.readouterr()
    return rc, out.out, out.err


def _image(path: Path, h: int = 40, w: int = 36) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((h, w, 3), 90, np.uint8))


def _archive(root: Path, skip=()) -> dict:
    rng = np.random.default_rng(0)
    truth = {}
    for subset in SUBSETS:
        if subset in skip:
            continue
        _image(root / subset / 'face_1.jpg')
        pts = rng.uniform(3, 33, (68, 2)).round(3)
        body = '\n'.join(f'{x:.3f} {y:.3f}' for x, y in pts + 1)
        (root / subset / 'face_1.pts').write_text(f'version: 1\nn_points: 68\n{{\n{body}\n}}\n')
        truth[f'{subset}/face_1.jpg'] = pts
    return truth


def test_convert_300w_cli(tmp_path, tool, repo_root, load_tool, capsys, monkeypatch):
    root, out = tmp_path / '300w', tmp_path / 'annotations'
    truth = _archive(root, skip=('ibug', ))
    proc = tool('dataset_converters/convert_300w.py', [str(root), '--out-dir', str(out)])
    assert 'valid_challenge' in proc.stdout and 'skipped' in proc.stdout
    assert 'subset ibug: folder missing' in proc.stderr
    written = sorted(p.name for p in out.iterdir())
    assert written == ['face_landmarks_300w_test.json', 'face_landmarks_300w_train.json',
                       'face_landmarks_300w_valid_common.json']
    data = json.loads((out / 'face_landmarks_300w_train.json').read_text())
    assert len(data['annotations']) == 3
    for img, ann in zip(data['images'], data['annotations']):
        kp = np.array(ann['keypoints']).reshape(68, 3)
        np.testing.assert_allclose(kp[:, :2], truth[img['file_name']], atol=1e-9)
    rc, _, err = run_main(load_tool, 'dataset_converters/convert_300w.py',
                          [str(root), '--out-dir', str(out), '--strict'], capsys, monkeypatch)
    assert rc == 1 and err.startswith('error: incomplete 300W archive (strict)')
    assert 'subset ibug: folder missing' in err


def test_convert_aflw_cli_from_mat_and_sqlite(tmp_path, tool, repo_root, load_tool, capsys,
                                              monkeypatch):
    from scipy.io import savemat
    n, rng = 5, np.random.default_rng(1)
    names = np.empty((n, 1), dtype=object)
    for i in range(n):
        names[i, 0] = np.array([f'{i % 2}/image{i:05d}.jpg'])
        _image(tmp_path / 'flickr' / names[i, 0][0])
    kps = rng.uniform(5, 30, (n, 19, 2))
    boxes = np.tile([2.0, 34.0, 3.0, 37.0], (n, 1))
    savemat(str(tmp_path / 'AFLWinfo_release.mat'),
            dict(nameList=names, data=np.concatenate([kps[..., 0], kps[..., 1]], 1), bbox=boxes,
                 mask_new=np.ones((n, 19)), ra=np.array([[5, 3, 1, 2, 4]])))
    out = tmp_path / 'ann'
    proc = tool('dataset_converters/convert_aflw.py', [
        '--mat', str(tmp_path / 'AFLWinfo_release.mat'), '--image-dir',
        str(tmp_path / 'flickr'), '--out-dir', str(out), '--num-train', '3'])
    assert 'test_frontal' in proc.stdout
    test = json.loads((out / 'face_landmarks_aflw_test.json').read_text())
    assert [a['id'] for a in test['annotations']] == [2, 4]
    assert test['images'][0]['file_name'] == 'flickr/1/image00001.jpg'
    assert test['annotations'][0]['box_size'] == pytest.approx(np.sqrt(32 * 34))
    np.testing.assert_allclose(np.array(test['annotations'][1]['keypoints']).reshape(19, 3)[:, :2],
                               kps[3])

    db = tmp_path / 'aflw.sqlite'
    con = sqlite3.connect(db)
    con.executescript('CREATE TABLE FaceImages (file_id TEXT, filepath TEXT);'
                      'CREATE TABLE Faces (face_id INTEGER, file_id TEXT);'
                      'CREATE TABLE FaceRect (face_id INTEGER, x, y, w, h);'
                      'CREATE TABLE FeatureCoords (face_id INTEGER, feature_id INTEGER, x, y);')
    for face in range(1, 4):
        con.execute('INSERT INTO FaceImages VALUES (?, ?)', (f'f{face}', names[face, 0][0]))
        con.execute('INSERT INTO Faces VALUES (?, ?)', (face, f'f{face}'))
        con.execute('INSERT INTO FaceRect VALUES (?, 2, 3, 30, 30)', (face, ))
        con.executemany('INSERT INTO FeatureCoords VALUES (?, ?, ?, ?)',
                        [(face, fid, 5.0 + fid, 6.0) for fid in range(1, 22)])
    con.commit()
    con.close()
    rc, out, _ = run_main(load_tool, 'dataset_converters/convert_aflw.py', [
        '--sqlite', str(db), '--image-dir', str(tmp_path / 'flickr'), '--out-dir',
        str(tmp_path / 'sq'), '--num-train', '2'], capsys, monkeypatch)
    assert rc == 0 and 'train' in out
    anns = json.loads((tmp_path / 'sq' / 'face_landmarks_aflw_train.json').read_text())
    xs = np.array(anns['annotations'][0]['keypoints']).reshape(19, 3)[:, 0] - 5
    assert list(xs) == [i for i in range(1, 22) if i not in (13, 17)]  # earlobes dropped


def test_prepare_unlabeled_faces_cli(tmp_path, tool, repo_root, load_tool, capsys, monkeypatch):
    src = tmp_path / 'celeba'
    for i in range(3):
        _image(src / f'{i:06d}.jpg', 60, 50)
    points = '20 16 30 16 25 20 21 24 29 24'
    marks = tmp_path / 'list_landmarks_align_celeba.txt'
    marks.write_text('3\nlefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x '
                     'leftmouth_y rightmouth_x rightmouth_y\n' +
                     ''.join(f'{i:06d}.jpg {points}\n' for i in range(3)))
    out = tmp_path / 'crops'
    proc = tool('dataset_converters/prepare_unlabeled_faces.py',
                [str(src), str(marks), '--out-dir', str(out), '--size', '16'])
    assert '3 crops' in proc.stdout
    assert [cv2.imread(str(out / f'{i:06d}.jpg')).shape for i in range(3)] == [(16, 16, 3)] * 3
    marks.write_text(f'000000.jpg {points}\n000001.jpg 20 16 30 16 25 20 21 24 29\n')
    rc, _, err = run_main(load_tool, 'dataset_converters/prepare_unlabeled_faces.py',
                          [str(src), str(marks), '--out-dir', str(out)], capsys, monkeypatch)
    assert rc == 1 and 'list_landmarks_align_celeba.txt, line 2: expected "file x1 y1 ... ' \
        'x5 y5" (11 fields), got 10' in err


def test_pip_neighbors_tool_writes_a_config(load_tool, tmp_path, capsys, monkeypatch):
    from mmengine.config import Config
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 20, size=(6, 2))
    anns = [dict(id=i, bbox=[0, 0, 20, 20],
                 keypoints=np.concatenate([base + rng.normal(0, 0.1, (6, 2)), np.full((6, 1), 2)],
                                          axis=1).reshape(-1).tolist()) for i in range(4)]
    ann_file = tmp_path / 'train.json'
    ann_file.write_text(json.dumps(dict(images=[], annotations=anns)))
    out = tmp_path / 'nb.py'
    rc, stdout, _ = run_main(load_tool, 'dataset_converters/pip_neighbors.py',
                             [str(ann_file), '--num-neighbors', '2', '--out', str(out)],
                             capsys, monkeypatch)
    assert rc == 0 and '6 landmarks x 2 neighbours from 4 faces' in stdout
    indices = Config.fromfile(str(out)).pip_neighbor_indices
    dist = np.linalg.norm(base[:, None] - base[None], axis=-1)
    np.fill_diagonal(dist, np.inf)
    assert [set(row) for row in indices] == [set(np.argsort(d)[:2]) for d in dist]
    anns[2]['keypoints'] = anns[2]['keypoints'][:-3]  # a face with 5 keypoints
    ann_file.write_text(json.dumps(dict(images=[], annotations=anns)))
    rc, _, err = run_main(load_tool, 'dataset_converters/pip_neighbors.py',
                          [str(ann_file), '--out', str(out)], capsys, monkeypatch)
    assert rc == 1 and 'annotation id 2' in err
