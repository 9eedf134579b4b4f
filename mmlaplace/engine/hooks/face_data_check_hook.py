"""Check the config's sizes and every training / validation annotation before training."""
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop
from mmpose.evaluation.metrics import NME
from mmpose.registry import HOOKS


def _sizes_in(pipeline: Sequence, transform: str) -> List[tuple]:
    return [tuple(t['input_size']) for t in pipeline or []
            if isinstance(t, dict) and t.get('type') == transform and 'input_size' in t]


@HOOKS.register_module()
class FaceDataCheckHook(Hook):
    """Fail fast, before the first iteration, on configs and annotations that cannot train.

    Config (``before_train``): the input size of ``TopdownAffine`` in the train pipeline,
    of the ``GenerateTarget`` encoder and of the head's decoder
    (``model.head.decoder.input_size``) must agree, and ``model.head.heatmap_size`` must have
    the aspect ratio of the input (the soft-argmax coordinates are scaled per axis).

    Annotations (every sample of the training and validation datasets, in memory; images
    only ``stat``-ed): the image file exists, the sample has as many keypoints as the head
    predicts (``model.head.num_keypoints``), visible keypoints are finite and not negative,
    the box is finite with positive width and height, and, for the ``NME`` validation metric
    with ``norm_mode='keypoint_distance'``, the two normalizing keypoints (outer eye corners
    36 / 45 for 300W) are visible-or-not but apart (an inter-ocular distance of 0 divides by
    zero).

    All problems found (up to ``max_report``) are raised together in one :class:`ValueError`
    naming the dataset's annotation file, the image, the sample id, the field and, for config
    problems, the config keys.

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
            if dataset is not None and hasattr(dataset, 'get_data_info') and \
                    'keypoints' in (dataset.get_data_info(0) if len(dataset) else {}):
                problems += self.check_dataset(dataset, key, num_k, nme_indices)
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
                      nme_indices: Optional[List[int]] = None) -> List[str]:
        """Problems with the samples of ``dataset`` (``key`` names it in the messages)."""
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
            if not np.isfinite(bbox).all() or (bbox[:, 2:] <= bbox[:, :2]).any():
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
