"""AFLW (19 landmarks, AFLW-Full split) to MMPose's ``AFLWDataset`` annotation files.

Two inputs are supported:

1. **The paper's protocol** (recommended): ``AFLWinfo_release.mat`` of Zhu et al., "Unconstrained
   Face Alignment via Cascaded Compositional Learning" (CVPR 2016), the revised 19-point
   annotation of 24,386 AFLW faces and its split; it is what MMPose's (HRNet-Facial's) AFLW
   files and Robinson et al. (ICCV 2019) use. Fields (N = 24386):

   - ``nameList`` (N, 1) cell: image paths relative to AFLW's ``data/flickr`` (``3/image...jpg``);
   - ``data`` (N, 38): ``x1..x19, y1..y19`` pixel coordinates;
   - ``bbox`` (N, 4): face box ``[left, right, top, bottom]``;
   - ``mask_new`` (N, 19): 1 where the point is visible;
   - ``ra`` (1, N): a 1-based random permutation of the rows: the first 20,000 are the
     training set, the other 4,386 the test set (AFLW-Full); the test faces with all 19
     points visible form AFLW-Frontal (1,314 faces).

   Written (under ``out_dir``): ``face_landmarks_aflw_train.json``,
   ``face_landmarks_aflw_test.json``, ``face_landmarks_aflw_test_frontal.json``. All 19 points
   are labeled (``v`` = 1, as in MMPose's files; Zhu et al. annotate occluded points too);
   ``center`` is the box centre, ``box_size = sqrt(w * h)`` of the box (the paper's NME
   normalization; MMPose's ``AFLWDataset`` reads it in test mode), ``scale = box_size / 200``,
   ``bbox`` the landmark box enlarged 1.2 times (as MMPose's files). Image and annotation id:
   the 1-based row of the ``.mat``.

2. **The official** ``aflw.sqlite`` (AFLW's own 21-point annotation): tables ``Faces
   (face_id, file_id)``, ``FaceImages (file_id, filepath)``, ``FaceRect (face_id, x, y, w, h)``
   and ``FeatureCoords (face_id, feature_id, x, y)``. Feature ids 1..21 are (AFLW's
   ``FeatureCoordTypes``): 1-3 LeftBrow{Left,Center,Right}Corner, 4-6 RightBrow..., 7-9
   LeftEye{LeftCorner,Center,RightCorner}, 10-12 RightEye..., **13 LeftEar**, 14-16
   Nose{Left,Center,Right}, **17 RightEar**, 18-20 Mouth{LeftCorner,Center,RightCorner},
   21 ChinCenter. The 19 points are ids 1..21 without the earlobes 13 and 17, which gives
   MMPose's AFLW order (its flip pairs 0-5, 1-4, 2-3, 6-11, 7-10, 8-9, 12-14, 15-17).
   Sources: the AFLW schema (Koestinger et al., 2011, ``FeatureCoordTypes`` table) and MMPose's
   ``configs/_base_/datasets/aflw.py``. Unannotated (invisible) points are written as
   ``[0, 0, 0]``; the face box is ``FaceRect`` (the first one of a face). AFLW has no
   official split: a seeded random ``num_train`` / rest split is written to the same file
   names -- **not** Zhu et al.'s split, so results are not comparable with the paper's.
"""
import logging
import os.path as osp
import sqlite3
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger

from .coco_face import PIXEL_STD, face_annotation, image_entry, write_coco_face_file

NUM_POINTS_AFLW = 19
#: AFLW's 21 feature ids without the earlobes (13 LeftEar, 17 RightEar), in MMPose's order.
AFLW19_FEATURE_IDS: Sequence[int] = tuple(i for i in range(1, 22) if i not in (13, 17))
NUM_TRAIN_AFLW = 20000
MAT_FIELDS = ('nameList', 'data', 'bbox', 'mask_new', 'ra')


def ann_file_aflw(split: str) -> str:
    """File name of a split's annotations, e.g. ``face_landmarks_aflw_test.json``."""
    return f'face_landmarks_aflw_{split}.json'


def _cell_str(cell, where: str) -> str:
    """A Matlab string from a loadmat cell (nested object / str arrays)."""
    value = cell
    while isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f'{where}: expected one string, got an array of shape {value.shape}')
        value = value.reshape(-1)[0]
    if not isinstance(value, str):
        raise ValueError(f'{where}: expected a string, got {type(value).__name__}')
    return value


def load_aflw_info_mat(mat_file: str) -> Dict[str, np.ndarray]:
    """Read and check Zhu et al.'s ``AFLWinfo_release.mat``.

    Returns:
        dict: ``names`` list of N str, ``keypoints`` (N, 19, 2), ``boxes`` (N, 4)
        ``[left, right, top, bottom]``, ``mask`` (N, 19) bool, ``order`` (N,) 0-based
        permutation (``ra - 1``).

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: Not a readable .mat, a missing field, or a field of the wrong shape / values
            (names the file and field).
    """
    from scipy.io import loadmat
    if not osp.isfile(mat_file):
        raise FileNotFoundError(f'AFLW info file {mat_file} not found')
    try:
        mat = loadmat(mat_file)
    except NotImplementedError as e:  # Matlab v7.3 (HDF5)
        raise ValueError(f'{mat_file}: Matlab v7.3 files are not supported by scipy; save it '
                         f'as -v7 ({e})') from e
    except Exception as e:  # noqa: BLE001 (re-raised with the path)
        raise ValueError(f'{mat_file}: not a readable .mat file: {e}') from e
    missing = [k for k in MAT_FIELDS if k not in mat]
    if missing:
        raise ValueError(f'{mat_file}: field(s) {missing} missing (expected {list(MAT_FIELDS)})')
    names = np.asarray(mat['nameList'], dtype=object).reshape(-1)
    n = len(names)
    shapes = dict(data=(n, 2 * NUM_POINTS_AFLW), bbox=(n, 4), mask_new=(n, NUM_POINTS_AFLW))
    arrays = {}
    for key, shape in shapes.items():
        arr = np.asarray(mat[key])
        if arr.shape != shape:
            raise ValueError(f'{mat_file}: field {key} has shape {arr.shape}, expected {shape} '
                             f'({n} faces in nameList)')
        arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            rows = np.unique(np.nonzero(~np.isfinite(arr))[0])[:5]
            raise ValueError(f'{mat_file}: field {key} has non-finite values (rows {rows + 1})')
        arrays[key] = arr
    ra = np.asarray(mat['ra']).reshape(-1)
    if ra.shape != (n, ) or not np.array_equal(np.sort(ra.astype(np.int64)), np.arange(1, n + 1)):
        raise ValueError(f'{mat_file}: field ra must be a 1-based permutation of the {n} rows')
    boxes = arrays['bbox']
    bad = np.nonzero((boxes[:, 1] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 2]))[0]
    if len(bad):
        raise ValueError(f'{mat_file}: field bbox rows {bad[:5] + 1} are not [left, right, top, '
                         'bottom] with right > left and bottom > top')
    data = arrays['data']
    keypoints = np.stack([data[:, :NUM_POINTS_AFLW], data[:, NUM_POINTS_AFLW:]], axis=-1)
    return dict(
        names=[_cell_str(c, f'{mat_file}: field nameList, row {i + 1}')
               for i, c in enumerate(names)],
        keypoints=keypoints,
        boxes=boxes,
        mask=arrays['mask_new'] > 0,
        order=ra.astype(np.int64) - 1)


def _write_splits(rows: Dict[str, List[int]], images: List[Dict], anns: List[Dict],
                  out_dir: str, logger: Optional[logging.Logger]) -> Dict:
    logger = logger or MMLogger.get_current_instance()
    report = dict(splits={}, files={})
    for split, idx in rows.items():
        path = write_coco_face_file(osp.join(out_dir, ann_file_aflw(split)),
                                    [images[i] for i in idx], [anns[i] for i in idx])
        report['splits'][split] = len(idx)
        report['files'][split] = path
        logger.info(f'convert_aflw: {split}: {len(idx)} faces -> {path}')
    return report


def convert_aflw_mat(mat_file: str,
                     image_dir: str,
                     out_dir: str,
                     file_prefix: str = 'flickr/',
                     num_train: int = NUM_TRAIN_AFLW,
                     logger: Optional[logging.Logger] = None) -> Dict:
    """Write the AFLW-Full train / test (and frontal test) files from ``AFLWinfo_release.mat``.

    Args:
        mat_file (str): ``AFLWinfo_release.mat``.
        image_dir (str): AFLW's ``data/flickr`` folder (``nameList`` is relative to it).
        out_dir (str): Output folder of the JSON files.
        file_prefix (str): Prepended to ``nameList`` in ``file_name``; the default
            ``'flickr/'`` matches MMPose's layout ``images/flickr/0/...`` with
            ``data_prefix=dict(img='images/')``.
        num_train (int): The first ``num_train`` rows of ``ra`` are the training set.
            Defaults to 20000.
        logger (logging.Logger, optional): Where progress goes. Defaults to the current
            :class:`MMLogger`.

    Returns:
        dict: ``splits`` (split -> count) and ``files`` (split -> path).

    Raises:
        FileNotFoundError: The .mat file or an image (names the row and path) is missing.
        ValueError: A malformed .mat, or ``num_train`` not in ``[1, N)``.
    """
    info = load_aflw_info_mat(mat_file)
    n = len(info['names'])
    if not 0 < num_train < n:
        raise ValueError(f'num_train must be in [1, {n - 1}] for the {n} faces of {mat_file}, '
                         f'got {num_train}')
    images, anns = [], []
    for row in range(n):
        name = info['names'][row].replace('\\', '/')
        left, right, top, bottom = info['boxes'][row]
        box_size = float(np.sqrt((right - left) * (bottom - top)))
        try:
            images.append(image_entry(row + 1, file_prefix + name, osp.join(image_dir, name)))
        except (FileNotFoundError, OSError) as e:
            raise type(e)(f'{mat_file}: nameList row {row + 1}: {e}') from e
        anns.append(face_annotation(row + 1, info['keypoints'][row],
                                    center=((left + right) / 2, (top + bottom) / 2),
                                    scale=box_size / PIXEL_STD, box_size=box_size))
    train, test = info['order'][:num_train], info['order'][num_train:]
    frontal = [i for i in test if info['mask'][i].all()]
    return _write_splits(dict(train=list(train), test=list(test), test_frontal=frontal),
                         images, anns, out_dir, logger)


def read_aflw_sqlite(sqlite_file: str) -> List[Dict]:
    """Faces of the official ``aflw.sqlite`` with their 19 points.

    Returns:
        list[dict]: per face (sorted by ``face_id``): ``face_id``, ``filepath``, ``rect``
        ``(x, y, w, h)``, ``keypoints`` (19, 2) and ``visible`` (19,) bool. Faces without a
        ``FaceRect`` or without any of the 19 points are left out.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: Not an AFLW database (a table or column is missing).
    """
    if not osp.isfile(sqlite_file):
        raise FileNotFoundError(f'AFLW database {sqlite_file} not found')
    col = {fid: k for k, fid in enumerate(AFLW19_FEATURE_IDS)}
    con = sqlite3.connect(f'file:{sqlite_file}?mode=ro', uri=True)
    try:
        faces = {}
        query = ('SELECT Faces.face_id, FaceImages.filepath, FaceRect.x, FaceRect.y, '
                 'FaceRect.w, FaceRect.h FROM Faces '
                 'JOIN FaceImages ON Faces.file_id = FaceImages.file_id '
                 'JOIN FaceRect ON FaceRect.face_id = Faces.face_id ORDER BY Faces.face_id, '
                 'FaceRect.rowid')
        for face_id, filepath, x, y, w, h in con.execute(query):
            if face_id not in faces:
                faces[face_id] = dict(face_id=face_id, filepath=filepath,
                                      rect=(float(x), float(y), float(w), float(h)),
                                      keypoints=np.zeros((NUM_POINTS_AFLW, 2)),
                                      visible=np.zeros(NUM_POINTS_AFLW, dtype=bool))
        for face_id, feature_id, x, y in con.execute(
                'SELECT face_id, feature_id, x, y FROM FeatureCoords'):
            if face_id in faces and feature_id in col:
                faces[face_id]['keypoints'][col[feature_id]] = (float(x), float(y))
                faces[face_id]['visible'][col[feature_id]] = True
    except sqlite3.DatabaseError as e:
        raise ValueError(f'{sqlite_file}: not an AFLW database (tables Faces, FaceImages, '
                         f'FaceRect, FeatureCoords expected): {e}') from e
    finally:
        con.close()
    return [f for _, f in sorted(faces.items()) if f['visible'].any()]


def convert_aflw_sqlite(sqlite_file: str,
                        image_dir: str,
                        out_dir: str,
                        file_prefix: str = 'flickr/',
                        num_train: int = NUM_TRAIN_AFLW,
                        seed: int = 0,
                        logger: Optional[logging.Logger] = None) -> Dict:
    """Write train / test files from the official ``aflw.sqlite`` (a random split).

    Args:
        sqlite_file (str): ``aflw.sqlite``.
        image_dir (str): AFLW's ``data/flickr`` folder (``FaceImages.filepath`` is relative
            to it).
        out_dir (str): Output folder of the JSON files.
        file_prefix (str): Prepended to ``filepath`` in ``file_name``.
        num_train (int): Faces in the training split (the others: test), picked by a
            ``numpy.random.default_rng(seed)`` permutation of the faces. Defaults to 20000.
        seed (int): Seed of the split. Defaults to 0.
        logger (logging.Logger, optional): Where warnings and progress go. Defaults to the
            current :class:`MMLogger`.

    Returns:
        dict: ``splits``, ``files``, ``skipped`` (faces without a box or points) and
        ``warnings``.

    Raises:
        FileNotFoundError: The database or an image (names the face and path) is missing.
        ValueError: Not an AFLW database, or ``num_train`` not in ``[1, N)``.
    """
    logger = logger or MMLogger.get_current_instance()
    faces = read_aflw_sqlite(sqlite_file)
    n = len(faces)
    if not 0 < num_train < n:
        raise ValueError(f'num_train must be in [1, {n - 1}] for the {n} usable faces of '
                         f'{sqlite_file}, got {num_train}')
    images, anns = [], []
    for face in faces:
        name = face['filepath'].replace('\\', '/')
        x, y, w, h = face['rect']
        if not (w > 0 and h > 0):
            raise ValueError(f'{sqlite_file}: face_id {face["face_id"]}: FaceRect w and h must '
                             f'be positive, got {face["rect"]}')
        box_size = float(np.sqrt(w * h))
        try:
            images.append(image_entry(face['face_id'], file_prefix + name,
                                      osp.join(image_dir, name)))
        except (FileNotFoundError, OSError) as e:
            raise type(e)(f'{sqlite_file}: face_id {face["face_id"]}: {e}') from e
        anns.append(face_annotation(face['face_id'], face['keypoints'], (x + w / 2, y + h / 2),
                                    box_size / PIXEL_STD, visible=face['visible'],
                                    box_size=box_size))
    order = np.random.default_rng(seed).permutation(n)
    msg = (f'a random split (seed {seed}), not Zhu et al.\'s AFLW-Full split; use '
           'AFLWinfo_release.mat to compare with the paper')
    logger.warning(f'convert_aflw_sqlite: {msg}')
    report = _write_splits(dict(train=sorted(order[:num_train]), test=sorted(order[num_train:])),
                           images, anns, out_dir, logger)
    report['skipped'] = _count_faces(sqlite_file) - n
    report['warnings'] = [msg]
    return report


def _count_faces(sqlite_file: str) -> int:
    con = sqlite3.connect(f'file:{sqlite_file}?mode=ro', uri=True)
    try:
        return int(con.execute('SELECT COUNT(*) FROM Faces').fetchone()[0])
    finally:
        con.close()


def convert_aflw(out_dir: str,
                 image_dir: str,
                 mat_file: Optional[str] = None,
                 sqlite_file: Optional[str] = None,
                 **kwargs) -> Dict:
    """Dispatch to :func:`convert_aflw_mat` or :func:`convert_aflw_sqlite` (exactly one)."""
    if (mat_file is None) == (sqlite_file is None):
        raise ValueError('convert_aflw: give exactly one of mat_file (AFLWinfo_release.mat) '
                         'and sqlite_file (aflw.sqlite)')
    if mat_file is not None:
        kwargs.pop('seed', None)
        return convert_aflw_mat(mat_file, image_dir, out_dir, **kwargs)
    return convert_aflw_sqlite(sqlite_file, image_dir, out_dir, **kwargs)
