"""Builders of tiny fake 300W archives, AFLW .mat / .sqlite files and 5-point folders."""
import sqlite3
from typing import Dict, Optional

import numpy as np
import pytest
from converter_helpers import random_points, write_aflw_mat, write_image, write_pts  # noqa: F401

from mmlaplace.datasets.converters.face300w import SUBSETS_300W


@pytest.fixture(autouse=True)
def _mmpose_scope():
    """The converters' outputs are read back with MMPose's datasets (registry scope)."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield


@pytest.fixture
def make_300w_archive(tmp_path):
    """``make(counts=None, skip=())`` -> (root, {relative image: 0-based (68, 2) points})."""

    def make(counts: Optional[Dict[str, int]] = None, skip=()) -> tuple:
        root = tmp_path / '300w_archive'
        rng = np.random.default_rng(0)
        truth = {}
        for s, subset in enumerate(SUBSETS_300W):
            if subset in skip:
                continue
            n = (counts or {}).get(subset, 2)
            for i in range(n):
                ext = '.png' if subset.startswith(('lfpw', '300W')) else '.jpg'
                stem = root / subset / f'img_{i:02d}_{s}'
                h, w = 48 + i, 40 + s
                write_image(stem.with_suffix(ext), h, w)
                pts = random_points(rng, h, w)
                write_pts(stem.with_suffix('.pts'), pts + 1, header=(i + s) % 2 == 0)
                truth[f'{subset}/{stem.name}{ext}'] = pts
        return root, truth

    return make


@pytest.fixture
def make_aflw_mat(tmp_path):
    """``make(n=6)`` -> (mat path, image dir, dict of the arrays written)."""

    def make(n: int = 6, drop: tuple = (), **override) -> tuple:
        rng = np.random.default_rng(1)
        image_dir = tmp_path / 'flickr'
        names = [f'{i % 3}/image{i:05d}.jpg' for i in range(n)]
        for name in names:
            write_image(image_dir / name, 60, 50)
        keypoints = rng.uniform(5, 45, size=(n, 19, 2)).round(3)
        boxes = np.stack([keypoints[..., 0].min(1) - 2, keypoints[..., 0].max(1) + 3,
                          keypoints[..., 1].min(1) - 1, keypoints[..., 1].max(1) + 4], axis=1)
        mask = np.ones((n, 19))
        mask[::2, 3] = 0  # even rows: one occluded point
        ra = rng.permutation(n) + 1
        arrays = dict(names=names, keypoints=keypoints, boxes=boxes, mask=mask, ra=ra)
        path = write_aflw_mat(tmp_path / 'AFLWinfo_release.mat', names, keypoints, boxes, mask,
                              ra, drop=drop, override=override)
        return path, image_dir, arrays

    return make


@pytest.fixture
def make_aflw_sqlite(tmp_path):
    """``make()`` -> (sqlite path, image dir, {face_id: {feature_id: (x, y)}}, rects)."""

    def make() -> tuple:
        rng = np.random.default_rng(2)
        image_dir = tmp_path / 'flickr'
        path = tmp_path / 'aflw.sqlite'
        con = sqlite3.connect(path)
        con.executescript(
            'CREATE TABLE FaceImages (image_id INTEGER, db_id TEXT, file_id TEXT, filepath TEXT,'
            ' bw INTEGER, width INTEGER, height INTEGER);'
            'CREATE TABLE Faces (face_id INTEGER PRIMARY KEY, file_id TEXT, db_id TEXT);'
            'CREATE TABLE FaceRect (face_id INTEGER, x INTEGER, y INTEGER, w INTEGER, h INTEGER,'
            ' annot_type_id INTEGER);'
            'CREATE TABLE FeatureCoords (face_id INTEGER, feature_id INTEGER, x REAL, y REAL,'
            ' annot_type_id INTEGER);')
        coords, rects = {}, {}
        for face_id in range(1, 6):
            file_id = f'image{face_id:05d}.jpg'
            rel = f'{face_id % 3}/{file_id}'
            write_image(image_dir / rel, 64, 56)
            con.execute('INSERT INTO FaceImages VALUES (?, ?, ?, ?, 0, 56, 64)',
                        (face_id, 'flickr', file_id, rel))
            con.execute('INSERT INTO Faces VALUES (?, ?, ?)', (face_id, file_id, 'flickr'))
            if face_id == 5:
                continue  # no FaceRect: left out
            rect = (4 + face_id, 6, 30 + face_id, 36)
            rects[face_id] = rect
            con.execute('INSERT INTO FaceRect VALUES (?, ?, ?, ?, ?, 1)', (face_id, *rect))
            coords[face_id] = {}
            for fid in range(1, 22):
                if face_id == 2 and fid in (4, 9):
                    continue  # two points not annotated
                x, y = rng.uniform(8, 40, 2).round(2)
                coords[face_id][fid] = (float(x), float(y))
                con.execute('INSERT INTO FeatureCoords VALUES (?, ?, ?, ?, 1)',
                            (face_id, fid, float(x), float(y)))
        con.commit()
        con.close()
        return path, image_dir, coords, rects

    return make
