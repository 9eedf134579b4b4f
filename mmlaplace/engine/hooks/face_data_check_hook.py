"""Check the config's sizes and every training / validation annotation before training."""
import json
import math
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
from mmengine.fileio import get_local_path
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.evaluation.metrics import NME
from mmpose.registry import HOOKS
from mmpose.structures.bbox import bbox_cs2xyxy

#: MMPose's 300W / AFLW / WFLW ``scale`` is the face box side divided by this
PIXEL_STD = 200.0


def _sizes_in(pipeline: Sequence, transform: str) -> List[tuple]:
    return [tuple(t['input_size']) for t in pipeline or []
            if isinstance(t, dict) and t.get('type') == transform and 'input_size' in t]


def _leaf_datasets(dataset) -> list:
    """The datasets inside dataset wrappers (``ConcatDataset``, ``RepeatDataset``, ...)."""
    inner = getattr(dataset, 'datasets', None)
    if isinstance(inner, (list, tuple)):
        return [leaf for d in inner for leaf in _leaf_datasets(d)]
    if getattr(dataset, 'dataset', None) is not None and not hasattr(dataset, 'ann_file'):
        return _leaf_datasets(dataset.dataset)
    return [dataset]


def _numbers(value) -> Optional[np.ndarray]:
    """``value`` as a float64 array as MMPose's ``np.array(..., dtype=np.float32)`` reads it
    (``null`` is NaN, ``"0.5"`` is 0.5), or None if numpy cannot convert it.
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return None if array.dtype == object else array


def _box_field_problems(ann: dict, img: dict) -> List[str]:
    """Problems of the ``scale`` / ``center`` / ``bbox`` fields of one raw annotation.

    Each is a message starting with the field: the values MMPose's COCO-style face datasets
    drop silently (a box of zero or negative size) or crop degenerately (NaN / Inf, a centre
    off the image).
    """
    problems = []
    size = _numbers([img.get('width'), img.get('height')])
    size = size if size is not None and np.isfinite(size).all() and (size > 0).all() else None
    scale = center = None
    if 'scale' in ann:
        value = _numbers(ann['scale'])
        value = value.reshape(-1) if value is not None else None
        if value is None or value.size != 1:
            problems.append(f'"scale" {ann["scale"]!r} is not a number (the face box side / '
                            f'{PIXEL_STD:g})')
        elif not (math.isfinite(value[0]) and value[0] > 0):
            problems.append(f'"scale" is {float(value[0])!r}, not a finite number > 0 (the face '
                            f'box side / {PIXEL_STD:g}): MMPose drops such a face silently (zero '
                            'or negative size) or crops it degenerately (NaN / Inf)')
        else:
            scale = float(value[0])
    if 'center' in ann:
        value = _numbers(ann['center'])
        if value is None or value.shape != (2, ):
            problems.append(f'"center" {ann["center"]!r} is not [x, y]')
        elif not np.isfinite(value).all():
            problems.append(f'"center" {value.tolist()} is not finite: MMPose would crop this '
                            'face degenerately (a NaN / Inf box)')
        elif (value < 0).any() or (size is not None and (value > size).any()):
            outside = f'the {size[0]:g} x {size[1]:g} image' if size is not None else 'the image'
            problems.append(f'"center" {value.tolist()} (x, y) lies outside {outside}: the crop '
                            'would be mostly padding')
        else:
            center = value
    if scale is not None and center is not None:
        # the box as MMPose's Face300WDataset / AFLWDataset / WFLWDataset build it, in float32
        with np.errstate(over='ignore', invalid='ignore'):  # reported below instead
            box = bbox_cs2xyxy(center[None].astype(np.float32),
                               np.full((1, 2), scale, dtype=np.float32) * PIXEL_STD)[0]
        if not (np.isfinite(box).all() and (box[2:] > box[:2]).all()):
            problems.append(f'"center" {center.tolist()} and "scale" {scale!r} give the box '
                            f'{box.tolist()} (x1, y1, x2, y2, float32), not a finite box of '
                            'positive size: MMPose drops or degenerately crops this face')
    if 'bbox' in ann:
        value = _numbers(ann['bbox'])
        if value is None or value.shape != (4, ):
            problems.append(f'"bbox" {ann["bbox"]!r} is not [x, y, w, h]')
        elif not (np.isfinite(value).all() and (value[2:] > 0).all()):
            problems.append(f'"bbox" {value.tolist()} (x, y, w, h) is not a finite box of '
                            'positive width and height (zero-area boxes are dropped silently by '
                            "MMPose's COCO-style datasets)")
    return problems


def _drop_reason(ann: dict) -> str:
    """Why MMPose's ``_is_valid_instance`` / ``parse_data_info`` dropped a raw annotation."""
    if ann.get('iscrowd'):
        return '"iscrowd" is set (crowd annotations are skipped)'
    if ann.get('num_keypoints', None) == 0:
        return '"num_keypoints" is 0'
    kpts = _numbers(ann.get('keypoints'))
    if kpts is not None and kpts.size and kpts.size % 3 == 0 and \
            not (kpts.reshape(-1, 3)[:, :2] > 0).any():
        return 'no "keypoints" coordinate is > 0'
    return 'the dataset rejected it while loading (e.g. its "bbox" lies outside the image)'


@HOOKS.register_module()
class FaceDataCheckHook(Hook):
    """Fail fast, before the first iteration, on configs and annotations that cannot train.

    Config (``before_train``): the input size of ``TopdownAffine`` in the train pipeline,
    of the ``GenerateTarget`` encoder and of the head's decoder
    (``model.head.decoder.input_size``) must agree, and ``model.head.heatmap_size`` must have
    the aspect ratio of the input (the soft-argmax coordinates are scaled per axis).

    Annotation files (``before_train``, the raw JSON of every MMPose COCO-style training and
    validation dataset, also inside dataset wrappers, read again): each face that MMPose's
    dataset would drop silently or crop degenerately is refused -- a ``scale`` that is 0,
    negative or not finite (``Face300WDataset`` drops ``"scale": 0`` without a word: 6 faces
    in, 5 trained), a ``center`` that is not finite or lies off the image, a ``center`` /
    ``scale`` whose float32 box has no area, a ``bbox`` of zero area or not finite; duplicated
    annotation or image ids (COCO keeps the last one) and annotations of an image missing from
    ``images``; and, when the dataset uses all of its file (no ``indices`` / ``filter_cfg``),
    every other annotation missing from the loaded dataset (``iscrowd``, ``num_keypoints`` 0,
    no keypoint > 0, ...).

    Annotations (every sample of the training and validation datasets, in memory; images
    only ``stat``-ed): the image file exists, the sample has as many keypoints as the head
    predicts (``model.head.num_keypoints``), visible keypoints are finite and not negative,
    the box is finite with positive width and height, and, for the ``NME`` validation metric
    with ``norm_mode='keypoint_distance'``, the two normalizing keypoints (outer eye corners
    36 / 45 for 300W) are visible-or-not but apart (an inter-ocular distance of 0 divides by
    zero).

    All problems found (up to ``max_report``) are raised together in one :class:`ValueError`
    naming the dataset's annotation file, the image (its ``file_name`` for the checks of the
    raw file), the sample / annotation id, the field and, for config problems, the config keys.

    Args:
        check_files (bool): Check that every image file exists. Defaults to True.
        max_report (int): At most this many problems are listed. Defaults to 10.
    """

    priority = 'VERY_HIGH'

    def __init__(self, check_files: bool = True, max_report: int = 10) -> None:
        self.check_files = check_files
        self.max_report = max_report

    def before_train(self, runner) -> None:
        problems = self.check_config(runner.cfg)
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        num_k = getattr(getattr(model, 'head', None), 'num_keypoints', None)
        loops = [('train_dataloader', runner.train_loop, None)]
        val_loop = getattr(runner, '_val_loop', None)
        if isinstance(val_loop, BaseLoop):
            loops.append(('val_dataloader', val_loop, self._nme_indices(runner, val_loop)))
        for key, loop, nme_indices in loops:
            dataset = getattr(getattr(loop, 'dataloader', None), 'dataset', None)
            if dataset is None:
                continue
            file_problems, reported = self._check_annotation_files(dataset, key)
            problems += file_problems
            if hasattr(dataset, 'get_data_info') and \
                    'keypoints' in (dataset.get_data_info(0) if len(dataset) else {}):
                problems += self.check_dataset(dataset, key, num_k, nme_indices,
                                               skip_bbox=reported)
        if problems:
            shown = problems[:self.max_report]
            more = len(problems) - len(shown)
            raise ValueError('FaceDataCheckHook: cannot train with this config / data:\n  - ' +
                             '\n  - '.join(shown) + (f'\n  ... and {more} more' if more else ''))

    # ------------------------------------------------------------------ config
    @staticmethod
    def check_config(cfg) -> List[str]:
        """Problems with the input / heatmap sizes of ``cfg`` (a list of messages)."""
        problems = []
        pipeline = cfg.get('train_dataloader', {}).get('dataset', {}).get('pipeline', [])
        sizes: Dict[str, tuple] = {}
        for size in _sizes_in(pipeline, 'TopdownAffine'):
            sizes['train_dataloader.dataset.pipeline TopdownAffine.input_size'] = size
        for t in pipeline or []:
            if isinstance(t, dict) and t.get('type') == 'GenerateTarget':
                enc = t.get('encoder', {})
                if isinstance(enc, dict) and 'input_size' in enc:
                    sizes['train_dataloader.dataset.pipeline GenerateTarget.encoder.input_size'] \
                        = tuple(enc['input_size'])
        head = cfg.get('model', {}).get('head', {}) or {}
        decoder = head.get('decoder') or {}
        if 'input_size' in decoder:
            sizes['model.head.decoder.input_size'] = tuple(decoder['input_size'])
        if len(set(sizes.values())) > 1:
            problems.append('the input sizes (W, H) disagree: ' +
                            ', '.join(f'{k}={v}' for k, v in sizes.items()))
        heatmap_size = head.get('heatmap_size')
        if heatmap_size is not None and sizes:
            (in_w, in_h), (hm_w, hm_h) = next(iter(sizes.values())), tuple(heatmap_size)
            if hm_w <= 0 or hm_h <= 0 or not math.isclose(in_w / in_h, hm_w / hm_h,
                                                            rel_tol=1e-3):
                problems.append(f'model.head.heatmap_size={tuple(heatmap_size)} (W, H) does not '
                                f'have the aspect ratio of the input size {(in_w, in_h)}')
        return problems

    # ------------------------------------------------------------------ annotations
    @staticmethod
    def _nme_indices(runner, val_loop) -> Optional[List[int]]:
        metrics = getattr(getattr(val_loop, 'evaluator', None), 'metrics', [])
        for metric in metrics:
            if isinstance(metric, NME) and metric.norm_mode == 'keypoint_distance':
                if metric.keypoint_indices is not None:
                    return list(metric.keypoint_indices)
                name = (getattr(val_loop.dataloader.dataset, 'metainfo', {}) or {}).get(
                    'dataset_name')
                return NME.DEFAULT_KEYPOINT_INDICES.get(name)
        return None

    def check_dataset(self, dataset, key: str, num_k: Optional[int],
                      nme_indices: Optional[List[int]] = None,
                      skip_bbox: Optional[Set[tuple]] = None) -> List[str]:
        """Problems with the samples of ``dataset`` (``key`` names it in the messages).

        ``skip_bbox``: ``(img_path, id)`` of samples whose box fields were already reported
        by :meth:`check_annotation_file` (their ``bbox`` is not reported twice).
        """
        problems: List[str] = []
        ann_file = getattr(dataset, 'ann_file', '') or key
        for idx in range(len(dataset)):
            if len(problems) >= self.max_report:
                break
            info = dataset.get_data_info(idx)
            where = (f'{ann_file}: image {info.get("img_path")} (img_id={info.get("img_id")}, '
                     f'sample {idx})')
            path = info.get('img_path')
            if self.check_files and path and not osp.isfile(path):
                problems.append(f'{where}: image file not found ({key}.dataset.data_root / '
                                'data_prefix.img)')
                continue
            kpts = np.asarray(info.get('keypoints'), dtype=np.float64)
            vis = np.asarray(info.get('keypoints_visible', np.ones(kpts.shape[:-1])),
                             dtype=np.float64).reshape(kpts.shape[:-1])
            if num_k is not None and kpts.shape[-2] != num_k:
                problems.append(f'{where}: "keypoints" has {kpts.shape[-2]} keypoints but '
                                f'the head predicts model.head.num_keypoints={num_k}')
                continue
            visible = vis > 0
            nan = visible & ~np.isfinite(kpts).all(-1)
            if nan.any():
                problems.append(f'{where}: "keypoints" {np.flatnonzero(nan.any(0)).tolist()} '
                                'are NaN / Inf but marked visible')
            negative = visible & np.isfinite(kpts).all(-1) & (kpts < 0).any(-1)
            if negative.any():
                problems.append(f'{where}: "keypoints" {np.flatnonzero(negative.any(0)).tolist()}'
                                ' have negative coordinates (missing landmarks must have '
                                'visibility 0)')
            bbox = np.asarray(info.get('bbox', np.zeros((1, 4)) + [0, 0, 1, 1]),
                              dtype=np.float64).reshape(-1, 4)
            if (path, info.get('id')) in (skip_bbox or ()):
                pass
            elif not np.isfinite(bbox).all() or (bbox[:, 2:] <= bbox[:, :2]).any():
                problems.append(f'{where}: "bbox" {bbox.tolist()} (x1, y1, x2, y2) is not a '
                                'finite box of positive size')
            if nme_indices is not None and len(nme_indices) == 2 and \
                    max(nme_indices) < kpts.shape[-2]:
                a, b = kpts[..., nme_indices[0], :], kpts[..., nme_indices[1], :]
                dist = np.linalg.norm(a - b, axis=-1)
                if not (np.isfinite(dist) & (dist > 0)).all():
                    problems.append(f'{where}: the NME normalizing keypoints {nme_indices} '
                                    f'(val_evaluator.keypoint_indices) are {dist.tolist()} '
                                    'pixels apart: the normalized error would divide by 0')
        return problems

    # ------------------------------------------------------------------ raw annotation files
    def check_annotation_file(self, dataset, key: str) -> List[str]:
        """Problems of the raw annotation file(s) behind ``dataset`` that MMPose hides.

        MMPose's COCO-style datasets drop some faces while loading (and crop others from a
        NaN box) without a word, so they never reach the dataset's samples: the file is read
        again and checked face by face (see the class docstring). Datasets that are not
        MMPose COCO-style datasets, or that read detected boxes (``bbox_file``), are skipped.

        Args:
            dataset: An MMPose COCO-style dataset, or a wrapper of some.
            key: Names the dataset in the messages (e.g. ``'train_dataloader'``).

        Returns:
            list: Messages naming the annotation file, the image's ``file_name``, the
            annotation id and the field.
        """
        return self._check_annotation_files(dataset, key)[0]

    def _check_annotation_files(self, dataset, key: str) -> Tuple[List[str], Set[tuple]]:
        problems: List[str] = []
        reported: Set[tuple] = set()
        for leaf in _leaf_datasets(dataset):
            if isinstance(leaf, BaseCocoStyleDataset) and getattr(leaf, 'ann_file', None) \
                    and not getattr(leaf, 'bbox_file', None):
                leaf_problems, leaf_reported = self._check_raw_file(leaf, key)
                problems += leaf_problems
                reported |= leaf_reported
        return problems, reported

    def _check_raw_file(self, dataset, key: str) -> Tuple[List[str], Set[tuple]]:
        ann_file = dataset.ann_file
        try:
            with get_local_path(ann_file) as local_path, \
                    open(local_path, encoding='utf-8') as f:
                raw = json.load(f)
        except (OSError, ValueError) as err:
            return [f'{ann_file}: cannot read the annotation file ({key}.dataset.ann_file): '
                    f'{err}'], set()
        if not isinstance(raw, dict):
            return [], set()
        raw_images = [i for i in raw.get('images') or [] if isinstance(i, dict) and 'id' in i]
        raw_anns = [a for a in raw.get('annotations') or [] if isinstance(a, dict)]
        cls = type(dataset).__name__
        problems: List[str] = []
        reported: Set[tuple] = set()

        images: Dict = {}
        for img in raw_images:
            if img['id'] in images:
                problems.append(f'{ann_file}: "images": id {img["id"]} is used by '
                                f'{images[img["id"]].get("file_name")} and '
                                f'{img.get("file_name")}: COCO keeps only the last one, so the '
                                'faces of both are loaded with that image')
            images[img['id']] = img
        ann_ids = Counter(a.get('id') for a in raw_anns)
        interval = max(int(getattr(dataset, 'sample_interval', 1) or 1), 1)
        prefix = (getattr(dataset, 'data_prefix', None) or {}).get('img') or ''
        used = []  # (annotation, where) of the faces MMPose should load
        for ann in raw_anns:
            ann_id, img_id = ann.get('id'), ann.get('image_id')
            img = images.get(img_id)
            if img is None:
                problems.append(f'{ann_file}: annotation id={ann_id}: "image_id" {img_id!r} has '
                                f'no entry in "images": MMPose\'s {cls} skips this face silently')
                continue
            if isinstance(img_id, int) and img_id % interval != 0:
                continue  # left out on purpose (sample_interval)
            file_name = img.get('file_name')
            where = f'{ann_file}: image {file_name} (img_id={img_id}, annotation id={ann_id})'
            sample = (osp.join(prefix, str(file_name)), ann_id)
            fields = _box_field_problems(ann, img)
            if ann_ids[ann_id] > 1:
                fields.append(f'"id" {ann_id} is used by {ann_ids[ann_id]} annotations: COCO '
                              'keeps only the last of them, so the other faces are silently '
                              'lost or loaded with its landmarks')
            problems += [f'{where}: {field}' for field in fields]
            if fields:
                reported.add(sample)
            else:
                used.append((ann, where))
            if len(problems) >= self.max_report:
                return problems, reported

        # Everything else the dataset dropped (iscrowd, no keypoints, a box off the image...):
        # compare with the loaded samples when the dataset is meant to hold the whole file.
        if getattr(dataset, 'data_mode', 'topdown') == 'topdown' and \
                getattr(dataset, '_indices', None) is None and \
                not getattr(dataset, 'filter_cfg', None):
            loaded = {dataset.get_data_info(i).get('id') for i in range(len(dataset))}
            for ann, where in used:
                if ann.get('id') not in loaded:
                    problems.append(f'{where}: {_drop_reason(ann)}: MMPose\'s {cls} drops this '
                                    f'face silently ({len(dataset)} faces loaded from '
                                    f'{len(raw_anns)} annotations)')
                    if len(problems) >= self.max_report:
                        break
        return problems, reported
