"""The public 300W archive (images + ``.pts`` files) to MMPose's ``Face300WDataset`` files.

Archive layout (the iBUG downloads unpacked into one folder)::

    folder            faces  split
    afw/                337  train (3148)
    helen/trainset/    2000  train
    lfpw/trainset/      811  train
    helen/testset/      330  valid_common (554), valid (full, 689)
    lfpw/testset/       224  valid_common, valid
    ibug/               135  valid_challenge (135), valid
    300W/01_Indoor/     300  test (600); also found as Test/01_Indoor or 01_Indoor
    300W/02_Outdoor/    300  test; also Test/02_Outdoor or 02_Outdoor

Every ``name.pts`` lies next to its image ``name.{jpg,jpeg,png,bmp}``. A ``.pts`` file holds
68 ``x y`` lines, optionally wrapped in the iBUG header ``version: 1`` / ``n_points: 68`` /
``{`` ... ``}``. Coordinates are 1-based (Matlab); like MMPose's released annotations, 1 is
subtracted (``one_based=False`` keeps them).

Written files (MMPose's names, under ``out_dir``): ``face_landmarks_300w_train.json``,
``face_landmarks_300w_valid_common.json``, ``face_landmarks_300w_valid_challenge.json``,
``face_landmarks_300w_valid.json`` (full) and ``face_landmarks_300w_test.json``. Image
``file_name`` is the path relative to the archive root (plus ``file_prefix``); image and
annotation ids are ``10000 * subset index + rank + 1`` (subsets in the order above, files
sorted by name), the same in every split file and independent of the other subsets.
"""
import logging
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger

from .coco_face import face_annotation, grid_center_scale, image_entry, write_coco_face_file

NUM_POINTS_300W = 68
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')

#: Subsets of the archive, their folders (alternatives in order) and face counts.
SUBSETS_300W: Dict[str, Tuple[Tuple[str, ...], int]] = {
    'afw': (('afw', ), 337),
    'helen/trainset': (('helen/trainset', ), 2000),
    'lfpw/trainset': (('lfpw/trainset', ), 811),
    'helen/testset': (('helen/testset', ), 330),
    'lfpw/testset': (('lfpw/testset', ), 224),
    'ibug': (('ibug', ), 135),
    '300W/01_Indoor': (('300W/01_Indoor', 'Test/01_Indoor', '01_Indoor'), 300),
    '300W/02_Outdoor': (('300W/02_Outdoor', 'Test/02_Outdoor', '02_Outdoor'), 300),
}
#: The standard splits: subsets and expected face counts.
SPLITS_300W: Dict[str, Tuple[Tuple[str, ...], int]] = {
    'train': (('afw', 'helen/trainset', 'lfpw/trainset'), 3148),
    'valid_common': (('helen/testset', 'lfpw/testset'), 554),
    'valid_challenge': (('ibug', ), 135),
    'valid': (('helen/testset', 'lfpw/testset', 'ibug'), 689),
    'test': (('300W/01_Indoor', '300W/02_Outdoor'), 600),
}
_ID_BLOCK = 10000


def ann_file_300w(split: str) -> str:
    """File name of a split's annotations, e.g. ``face_landmarks_300w_valid_common.json``."""
    return f'face_landmarks_300w_{split}.json'


def read_pts(path: str, num_points: int = NUM_POINTS_300W, one_based: bool = True) -> np.ndarray:
    """Read an iBUG ``.pts`` landmark file, with or without its header.

    Args:
        path (str): The ``.pts`` file.
        num_points (int): Expected number of points. Defaults to 68.
        one_based (bool): Subtract 1 from every coordinate (the files are 1-based).
            Defaults to True.

    Returns:
        np.ndarray: (num_points, 2) float64 ``(x, y)``.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: A malformed file: wrong point count, a line without exactly two numbers,
            a non-numeric or non-finite value, a broken header (names file and line).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: .pts file not found')
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = f.read().splitlines()
    points: List[Tuple[float, float]] = []
    declared: Optional[int] = None
    in_braces = closed = False
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        where = f'{path}, line {lineno}'
        if not line:
            continue
        if closed:
            raise ValueError(f'{where}: unexpected text after the closing "}}": {raw!r}')
        key = line.split(':', 1)[0].strip().lower()
        if ':' in line and key in ('version', 'n_points'):
            if points or in_braces:
                raise ValueError(f'{where}: header line inside the point list: {raw!r}')
            if key == 'n_points':
                try:
                    declared = int(line.split(':', 1)[1])
                except ValueError:
                    raise ValueError(f'{where}: n_points is not an integer: {raw!r}') from None
            continue
        if line == '{':
            if in_braces or points:
                raise ValueError(f'{where}: unexpected "{{"')
            in_braces = True
            continue
        if line == '}':
            if not in_braces:
                raise ValueError(f'{where}: "}}" without a matching "{{"')
            closed = True
            continue
        tokens = line.split()
        if len(tokens) != 2:
            raise ValueError(f'{where}: expected "x y", got {len(tokens)} fields: {raw!r}')
        try:
            x, y = float(tokens[0]), float(tokens[1])
        except ValueError:
            raise ValueError(f'{where}: non-numeric coordinate in {raw!r}') from None
        if not (np.isfinite(x) and np.isfinite(y)):
            raise ValueError(f'{where}: non-finite coordinate in {raw!r}')
        points.append((x, y))
    if in_braces and not closed:
        raise ValueError(f'{path}: the point list opened by "{{" is not closed by "}}"')
    if declared is not None and declared != len(points):
        raise ValueError(f'{path}: header says n_points: {declared} but the file lists '
                         f'{len(points)} points')
    if len(points) != num_points:
        raise ValueError(f'{path}: expected {num_points} points, found {len(points)}')
    pts = np.array(points, dtype=np.float64)
    return pts - 1.0 if one_based else pts


def image_for_pts(pts_path: str) -> str:
    """The image next to a ``.pts`` file (same name, extension ``.jpg/.jpeg/.png/.bmp``).

    Raises:
        FileNotFoundError: No such image (names the ``.pts`` file).
    """
    stem = osp.splitext(pts_path)[0]
    for ext in IMAGE_EXTENSIONS:
        for candidate in (stem + ext, stem + ext.upper()):
            if osp.isfile(candidate):
                return candidate
    raise FileNotFoundError(f'{pts_path}: no image {osp.basename(stem)}'
                            f'{{{",".join(IMAGE_EXTENSIONS)}}} next to it')


def find_subset_folder(archive_root: str, subset: str) -> Optional[str]:
    """The folder of a subset under ``archive_root`` (relative path), or None if missing."""
    for rel in SUBSETS_300W[subset][0]:
        if osp.isdir(osp.join(archive_root, rel)):
            return rel
    return None


def read_subset(archive_root: str, folder: str, one_based: bool = True
                ) -> List[Tuple[str, np.ndarray]]:
    """All faces of one subset folder: ``(image path relative to the root, (68, 2) points)``.

    ``.pts`` files directly in ``folder``, sorted by name.
    """
    path = osp.join(archive_root, folder)
    names = sorted(n for n in os.listdir(path) if n.lower().endswith('.pts'))
    faces = []
    for name in names:
        pts_path = osp.join(path, name)
        keypoints = read_pts(pts_path, one_based=one_based)
        image = image_for_pts(pts_path)
        faces.append((osp.relpath(image, archive_root).replace(os.sep, '/'), keypoints))
    return faces


def convert_300w(archive_root: str,
                 out_dir: str,
                 splits: Optional[Sequence[str]] = None,
                 strict: bool = False,
                 one_based: bool = True,
                 visibility: int = 1,
                 file_prefix: str = '',
                 logger: Optional[logging.Logger] = None) -> Dict:
    """Convert the 300W archive to MMPose's ``face_landmarks_300w_<split>.json`` files.

    A split is written when all its subset folders exist and hold ``.pts`` files; the others
    are skipped with a warning. Subset sizes other than the official ones are warned about.

    Args:
        archive_root (str): Folder holding ``afw/``, ``helen/``, ``lfpw/``, ``ibug/``, ``300W/``.
        out_dir (str): Output folder of the JSON files (created).
        splits (Sequence[str], optional): Splits to write, from ``train``, ``valid_common``,
            ``valid_challenge``, ``valid``, ``test``. None: all.
        strict (bool): Raise instead of warning on a missing subset or an unofficial count.
        one_based (bool): The ``.pts`` are 1-based: subtract 1. Defaults to True.
        visibility (int): ``v`` written for the points (1 as MMPose's files, or 2).
        file_prefix (str): Prepended to every ``file_name`` (e.g. ``'images/'``).
        logger (logging.Logger, optional): Where warnings and progress go. Defaults to the
            current :class:`MMLogger`.

    Returns:
        dict: ``subsets`` (name -> face count, None if missing), ``splits`` (name -> count,
        None if skipped), ``files`` (split -> written path), ``warnings`` (list of str).

    Raises:
        FileNotFoundError: ``archive_root`` is missing, an image is missing for a ``.pts``.
        ValueError: Unknown split, malformed ``.pts``, or (``strict``) an incomplete archive.
    """
    logger = logger or MMLogger.get_current_instance()
    if not osp.isdir(archive_root):
        raise FileNotFoundError(f'300W archive folder {archive_root} does not exist')
    splits = list(SPLITS_300W) if splits is None else list(splits)
    unknown = [s for s in splits if s not in SPLITS_300W]
    if unknown:
        raise ValueError(f'unknown 300W split(s) {unknown}; choose from {list(SPLITS_300W)}')
    if visibility not in (1, 2):
        raise ValueError(f'visibility must be 1 or 2, got {visibility!r}')
    needed = [s for s in SUBSETS_300W if any(s in SPLITS_300W[sp][0] for sp in splits)]

    problems: List[str] = []
    faces: Dict[str, Optional[List[Tuple[str, np.ndarray]]]] = {}
    for subset in needed:
        folder = find_subset_folder(archive_root, subset)
        if folder is None:
            tried = ', '.join(SUBSETS_300W[subset][0])
            problems.append(f'subset {subset}: folder missing under {archive_root} '
                            f'(looked for {tried})')
            faces[subset] = None
            continue
        found = read_subset(archive_root, folder, one_based=one_based)
        if not found:
            problems.append(f'subset {subset}: no .pts file in {osp.join(archive_root, folder)}')
            faces[subset] = None
            continue
        expected = SUBSETS_300W[subset][1]
        if len(found) != expected:
            problems.append(f'subset {subset}: {len(found)} faces, the official archive has '
                            f'{expected}')
        faces[subset] = found
    if strict and problems:
        raise ValueError('incomplete 300W archive (strict):\n  ' + '\n  '.join(problems))
    for msg in problems:
        logger.warning(f'convert_300w: {msg}')

    # per-subset entries, built once (image headers read once)
    entries: Dict[str, List[Tuple[Dict, Dict]]] = {}
    for subset, found in faces.items():
        if found is None:
            continue
        block = list(SUBSETS_300W).index(subset) * _ID_BLOCK
        entries[subset] = []
        for rank, (rel_image, keypoints) in enumerate(found):
            face_id = block + rank + 1
            center, scale = grid_center_scale(keypoints)
            entries[subset].append(
                (image_entry(face_id, file_prefix + rel_image, osp.join(archive_root, rel_image)),
                 face_annotation(face_id, keypoints, center, scale, visibility=visibility)))

    report = dict(subsets={s: None if f is None else len(f) for s, f in faces.items()},
                  splits={}, files={}, warnings=list(problems))
    for split in splits:
        subsets = SPLITS_300W[split][0]
        missing = [s for s in subsets if faces.get(s) is None]
        if missing:
            msg = f'split {split} skipped: subset(s) {missing} missing'
            logger.warning(f'convert_300w: {msg}')
            report['warnings'].append(msg)
            report['splits'][split] = None
            continue
        pairs = [e for s in subsets for e in entries[s]]
        path = write_coco_face_file(osp.join(out_dir, ann_file_300w(split)),
                                    [p[0] for p in pairs], [p[1] for p in pairs])
        report['splits'][split] = len(pairs)
        report['files'][split] = path
        logger.info(f'convert_300w: {split}: {len(pairs)} faces -> {path}')
    return report
