"""A folder of unlabeled face images as an MMPose top-down dataset (the paper's MegaFace role)."""
import logging
import os
import os.path as osp
from copy import deepcopy
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import DATASETS
from PIL import Image

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
#: Metainfo keys copied into every data info, as MMPose's ``BaseCocoStyleDataset`` does.
METAINFO_KEYS = ('dataset_name', 'upper_body_ids', 'lower_body_ids', 'flip_pairs',
                 'dataset_keypoint_weights', 'flip_indices', 'skeleton_links')


def resolve_metainfo_file(path: str) -> str:
    """Find a dataset metainfo config: as given, else inside the installed mmpose package.

    ``configs/_base_/datasets/300w.py`` is MMPose's repository layout; the mmpose wheel ships
    the same files under ``mmpose/.mim/configs/...``.

    Raises:
        FileNotFoundError: If neither exists.
    """
    if osp.isfile(path):
        return path
    import mmpose
    mim = osp.join(osp.dirname(mmpose.__file__), '.mim')
    for candidate in (osp.join(mim, path),
                      osp.join(mim, 'configs', '_base_', 'datasets', osp.basename(path))):
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(f'metainfo file {path} not found (also looked in {mim})')


def five_point_crop(points: np.ndarray) -> Tuple[np.ndarray, float]:
    """The paper's face crop from 5 landmarks (eyes, nose, mouth corners).

    Sec. 4 (MegaFace crops): the smallest rectangle around the 5 points, turned into a square
    of side ``2 * max(h, w)`` with the same centre. (The paper's "rounded up a pixel if the
    radius was even" is a pixel-grid detail of its implementation; here it is exact.)

    Args:
        points (np.ndarray): (5, 2) ``(x, y)`` pixel coordinates.

    Returns:
        tuple: centre (2,) and side ``s``.
    """
    lo, hi = points.min(axis=0), points.max(axis=0)
    return (lo + hi) / 2, 2.0 * float((hi - lo).max())


@DATASETS.register_module()
class UnlabeledFaceDataset(BaseDataset):
    """Unlabeled face images for adversarial training, in MMPose's top-down data format.

    Images: every ``.jpg/.jpeg/.png/.bmp/.webp`` file (any case) under
    ``data_root/data_prefix['img']``, recursively, in sorted path order; or, with ``ann_file``,
    the images it lists (paths relative to that folder, or absolute; no spaces or ``#`` in
    them), one face per line::

        # comments and blank lines are ignored
        path/a.jpg x y w h                       # a face box (pixels, top-left + size)
        path/b.jpg x1 y1 x2 y2 x3 y3 x4 y4 x5 y5  # 5 landmarks (e.g. MTCNN)

    Face region (``bbox`` xyxy, ``bbox_center``, ``bbox_scale``):

    - a box: the box itself (the pipeline's ``GetBBoxCenterScale`` padding applies);
    - 5 landmarks: the paper's crop (:func:`five_point_crop`): the smallest rectangle around
      the points, squared to side ``2 * max(h, w)``, same centre; use
      ``GetBBoxCenterScale(padding=1.0)`` to keep it as is;
    - no ``ann_file``: the whole image (its size is read from the file header on access).

    Each data info is a normal MMPose top-down sample (``img_path``, ``img_id``, ``id``,
    ``category_id=1``, ``bbox`` (1, 4), ``bbox_center`` (1, 2), ``bbox_scale`` (1, 2),
    ``bbox_score`` (1,), ``keypoints`` zeros (1, K, 2), ``keypoints_visible`` zeros (1, K),
    plus the metainfo keys MMPose's datasets add, e.g. ``flip_indices``), so the usual pipeline
    ``LoadImage, GetBBoxCenterScale, TopdownAffine, PackPoseInputs`` works. The labels are
    zeros and invisible; an adversarial model uses only the images.

    Args:
        ann_file (str): Optional box / 5-point file (relative to ``data_root``). Defaults to
            '' (all images, whole-image boxes).
        metainfo (dict, optional): Keypoint metainfo, e.g. ``dict(from_file=...)``; resolved
            in the mmpose package if not found as given. Defaults to MMPose's 300W (K = 68).
        data_root (str): Root of ``ann_file`` and ``data_prefix``.
        data_prefix (dict): ``img``: the image folder. Defaults to ``dict(img='')``.
        num_unlabeled (int, optional): Keep at most this many faces: a random subset (numpy
            ``default_rng(subset_seed)``) of the faces in sorted path order, kept in that
            order, so the same folder and seed always give the same subset. None: all.
        subset_seed (int): Seed of the subset. Defaults to 0.
        pipeline (list): Data transforms.
        test_mode (bool): As :class:`BaseDataset`.
        lazy_init (bool): As :class:`BaseDataset`.
        serialize_data (bool): As :class:`BaseDataset`.
        max_refetch (int): As :class:`BaseDataset`.

    Raises:
        FileNotFoundError: the image folder or ``ann_file`` does not exist, the folder holds
            no image, or ``ann_file`` names a missing image (message names the path and line).
        ValueError: a malformed ``ann_file`` line (names file and line number).
    """

    METAINFO: dict = dict(from_file='configs/_base_/datasets/300w.py')

    def __init__(self,
                 ann_file: str = '',
                 metainfo: Optional[dict] = None,
                 data_root: str = '',
                 data_prefix: dict = dict(img=''),  # noqa: B006 (MMEngine style)
                 num_unlabeled: Optional[int] = None,
                 subset_seed: int = 0,
                 pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 serialize_data: bool = True,
                 max_refetch: int = 1000):
        if num_unlabeled is not None and (not isinstance(num_unlabeled, int) or
                                          num_unlabeled < 1):
            raise ValueError(f'UnlabeledFaceDataset: num_unlabeled must be a positive int or '
                             f'None, got {num_unlabeled!r}')
        if 'img' not in data_prefix:
            raise ValueError('UnlabeledFaceDataset: data_prefix must have an "img" folder, got '
                             f'{data_prefix}')
        self.num_unlabeled = num_unlabeled
        self.subset_seed = subset_seed
        super().__init__(
            ann_file=ann_file,
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            pipeline=list(pipeline),
            test_mode=test_mode,
            lazy_init=lazy_init,
            serialize_data=serialize_data,
            max_refetch=max_refetch)

    @classmethod
    def _load_metainfo(cls, metainfo: Optional[dict] = None) -> dict:
        """Parse keypoint metainfo like MMPose's datasets, resolving ``from_file``."""
        metainfo = deepcopy(cls.METAINFO) if metainfo is None else dict(metainfo)
        if 'from_file' in metainfo:
            metainfo['from_file'] = resolve_metainfo_file(metainfo['from_file'])
        return parse_pose_metainfo(metainfo)

    # ------------------------------------------------------------------ listing
    @property
    def img_root(self) -> str:
        return self.data_prefix['img']

    def _scan_folder(self) -> List[Tuple[str, Optional[np.ndarray], str, str]]:
        files = []
        for root, _, names in os.walk(self.img_root, followlinks=True):
            files += [osp.join(root, n) for n in names if n.lower().endswith(IMG_EXTENSIONS)]
        if not files:
            raise FileNotFoundError(
                f'UnlabeledFaceDataset: no image ({", ".join(IMG_EXTENSIONS)}) found under '
                f'{self.img_root}')
        return [(path, None, 'image', '') for path in sorted(files)]

    def _parse_ann_file(self) -> List[Tuple[str, Optional[np.ndarray], str, str]]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'UnlabeledFaceDataset: ann_file {self.ann_file} not found')
        entries = []
        with open(self.ann_file, encoding='utf-8') as f:
            for lineno, line in enumerate(f, start=1):
                line = line.split('#', 1)[0].strip()
                if not line:
                    continue
                where = f'{self.ann_file}, line {lineno}'
                tokens = line.split()
                if len(tokens) not in (5, 11):
                    raise ValueError(
                        f'UnlabeledFaceDataset: {where}: expected "file x y w h" or "file x1 y1 '
                        f'... x5 y5", got {len(tokens)} fields: {line!r}')
                try:
                    values = np.array([float(t) for t in tokens[1:]], dtype=np.float64)
                except ValueError:
                    raise ValueError(f'UnlabeledFaceDataset: {where}: non-numeric coordinate '
                                     f'in {line!r}') from None
                if not np.isfinite(values).all():
                    raise ValueError(f'UnlabeledFaceDataset: {where}: non-finite coordinate '
                                     f'in {line!r}')
                path = tokens[0] if osp.isabs(tokens[0]) else osp.join(self.img_root, tokens[0])
                if not osp.isfile(path):
                    raise FileNotFoundError(f'UnlabeledFaceDataset: {where}: image {path} not '
                                            'found')
                if len(values) == 4:
                    if values[2] <= 0 or values[3] <= 0:
                        raise ValueError(f'UnlabeledFaceDataset: {where}: box width and '
                                         f'height must be positive, got {line!r}')
                    entries.append((path, values, 'box', where))
                else:
                    points = values.reshape(5, 2)
                    if five_point_crop(points)[1] <= 0:
                        raise ValueError(f'UnlabeledFaceDataset: {where}: the 5 points '
                                         f'coincide: {line!r}')
                    entries.append((path, points, 'five_points', where))
        if not entries:
            raise ValueError(f'UnlabeledFaceDataset: ann_file {self.ann_file} lists no face')
        return sorted(entries, key=lambda e: e[0])

    def _subset(self, entries: list) -> list:
        n = len(entries)
        if self.num_unlabeled is None or self.num_unlabeled >= n:
            if self.num_unlabeled is not None and self.num_unlabeled > n:
                print_log(f'UnlabeledFaceDataset: num_unlabeled={self.num_unlabeled} but only '
                          f'{n} faces in {self.ann_file or self.img_root}; using all',
                          logger='current', level=logging.WARNING)
            return entries
        keep = np.sort(np.random.default_rng(self.subset_seed).choice(
            n, self.num_unlabeled, replace=False))
        return [entries[i] for i in keep]

    def load_data_list(self) -> List[dict]:
        """List the faces (see the class docstring)."""
        if not osp.isdir(self.img_root):
            raise FileNotFoundError(
                f'UnlabeledFaceDataset: image folder {self.img_root} does not exist')
        entries = self._parse_ann_file() if self.ann_file else self._scan_folder()
        entries = self._subset(entries)
        num_keypoints = self._metainfo['num_keypoints']
        data_list = []
        for idx, (path, values, kind, where) in enumerate(entries):
            info = dict(
                img_id=idx,
                id=idx,
                img_path=path,
                category_id=1,
                bbox_score=np.ones(1, dtype=np.float32),
                num_keypoints=0,
                keypoints=np.zeros((1, num_keypoints, 2), dtype=np.float32),
                keypoints_visible=np.zeros((1, num_keypoints), dtype=np.float32),
                iscrowd=0)
            if kind == 'box':
                x, y, w, h = values
                info.update(self._region(np.array([x + w / 2, y + h / 2]), (w, h)))
                info['ann_line'] = where
            elif kind == 'five_points':
                centre, side = five_point_crop(values)
                info.update(self._region(centre, (side, side)))
                info['ann_line'] = where
            data_list.append(info)
        return data_list

    @staticmethod
    def _check_region(info: dict, width: int, height: int) -> None:
        """Refuse a box / 5-point crop lying mostly (> 50 %) outside its image."""
        x1, y1, x2, y2 = (float(v) for v in info['bbox'][0])
        inside = max(0.0, min(x2, width) - max(x1, 0.0)) * max(0.0, min(y2, height) - max(y1, 0.0))
        if inside < 0.5 * (x2 - x1) * (y2 - y1):
            raise ValueError(
                f'UnlabeledFaceDataset: {info["ann_line"]}: the face region '
                f'({x1:.1f}, {y1:.1f}, {x2:.1f}, {y2:.1f}) lies mostly outside the {width} x '
                f'{height} image {info["img_path"]}; does the annotation file belong to other '
                'images (e.g. the originals instead of these crops)?')

    @staticmethod
    def _region(centre: np.ndarray, size: Sequence[float]) -> dict:
        w, h = float(size[0]), float(size[1])
        cx, cy = float(centre[0]), float(centre[1])
        return dict(
            bbox=np.array([[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]], dtype=np.float32),
            bbox_center=np.array([[cx, cy]], dtype=np.float32),
            bbox_scale=np.array([[w, h]], dtype=np.float32))

    # ------------------------------------------------------------------ access
    def get_data_info(self, idx: int) -> dict:
        """Data info with the metainfo keys; the whole-image box for images without one."""
        info = super().get_data_info(idx)
        if 'bbox' not in info or info.get('ann_line'):
            try:
                with Image.open(info['img_path']) as img:
                    width, height = img.size
            except Exception as e:  # noqa: BLE001 (re-raised with the path)
                raise OSError(f'UnlabeledFaceDataset: cannot read image {info["img_path"]}: '
                              f'{e}') from e
        if 'bbox' not in info:
            info.update(self._region(np.array([width / 2, height / 2]), (width, height)))
        elif info.get('ann_line'):
            self._check_region(info, width, height)
        for key in METAINFO_KEYS:
            info[key] = deepcopy(self._metainfo[key])
        return info
