"""Face-alignment test metric: NME per subset, failure rate, CED AUC and scale calibration."""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.evaluation.metrics import NME
from mmpose.registry import METRICS

from ...structures.crop_geometry import crop_scales_to_image
from ..ced_plot import save_ced_plot
from ..functional import (
    ced_auc,
    check_thresholds,
    failure_rate,
    normalized_errors,
    per_sample_nme,
    pooled_nme,
    scale_error_spearman,
    threshold_name,
)

_NORM_MODES = ('inter_ocular', 'box_size')


def _dumps_one_sample_per_line(dump: dict) -> str:
    """JSON text of ``dump`` with one line per top-level key and per item of ``samples``."""
    items = []
    for key, value in dump.items():
        if key == 'samples':
            text = '[\n' + ',\n'.join(f'  {json.dumps(v)}' for v in value) + '\n ]'
        else:
            text = json.dumps(value)
        items.append(f' {json.dumps(key)}: {text}')
    return '{\n' + ',\n'.join(items) + '\n}\n'


@METRICS.register_module()
class FaceAlignmentMetric(BaseMetric):
    """NME, failure rate, CED AUC and uncertainty calibration of face landmarks.

    For all test samples (the "full" set, keys without prefix) and for every configured
    subset that has samples (keys ``'<subset>/...'``) it reports:

    - ``NME``: mean normalized error over all visible landmarks, exactly MMPose's
      :class:`~mmpose.evaluation.metrics.NME` (pooled over landmarks, as a fraction);
    - ``FR@<t>``: failure rate, the fraction of faces whose own NME is above ``t``
      (``FR@8`` for ``t = 0.08``);
    - ``AUC@<t>``: area under the cumulative error distribution (CED) of the per-face NMEs
      from 0 to ``t``, divided by ``t`` (in [0, 1], higher is better);
    - ``scale_error_spearman``: Spearman rank correlation between each landmark's predicted
      scale (``pred_instances.keypoint_scales``, the mean of the two per-axis scales,
      converted from input-crop to image pixels and divided by the same normalization
      distance as the error) and its normalized error, pooled over all visible landmarks of
      the set. Only when the model predicts ``keypoint_scales`` (:class:`SoftArgmaxHead`).

    Normalization (``norm_mode``):

    - ``'inter_ocular'``: distance between the ground-truth landmarks ``keypoint_indices``
      (outer eye corners; by default MMPose's per-dataset indices, 36 / 45 on 300W), as
      ``NME(norm_mode='keypoint_distance')``;
    - ``'box_size'``: the annotation's ``box_size`` = ``sqrt(w * h)`` of the face box (the
      paper's AFLW normalization), carried by :class:`PackFaceInputs`, as
      ``NME(norm_mode='use_norm_item', norm_item='box_size')``.

    A zero or non-finite normalization distance raises a ``ValueError`` naming the image.

    With ``outfile_prefix`` the metric also writes ``<prefix>_per_sample.json`` (per face:
    image, NME, normalization distance, mean normalized scale, subsets; per landmark: NME)
    and ``<prefix>_ced.png`` (CED curves). ``tools/test.py --out m.json`` sets the prefix to
    ``m``.

    Args:
        norm_mode (str): ``'inter_ocular'`` or ``'box_size'``. Defaults to ``'inter_ocular'``.
        keypoint_indices (Sequence[int], optional): The two landmarks of the inter-ocular
            distance. None: MMPose's default for the dataset (``NME.DEFAULT_KEYPOINT_INDICES``).
        subsets (dict[str, str | Sequence[str]], optional): Subset name -> substring(s) of the
            image path; a face belongs to a subset when its path contains one of them, e.g.
            ``dict(common=['lfpw/testset', 'helen/testset'], challenge='ibug')``. Subsets
            without faces are not reported. Defaults to None (only the full set).
        thresholds (Sequence[float]): NME thresholds of the failure rate and the AUC.
            Defaults to (0.08, 0.10).
        outfile_prefix (str, optional): Where to write the per-sample JSON and the CED plot.
        ced_max_nme (float): Right end of the CED plot's NME axis. Defaults to 0.2.
        collect_device (str): Device for collecting results across processes.
        prefix (str, optional): Prefix of the metric names.

    Example:
        >>> metric = FaceAlignmentMetric(subsets=dict(challenge='ibug'))
        >>> metric.thresholds
        (0.08, 0.1)
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 norm_mode: str = 'inter_ocular',
                 keypoint_indices: Optional[Sequence[int]] = None,
                 subsets: Optional[Dict[str, Union[str, Sequence[str]]]] = None,
                 thresholds: Sequence[float] = (0.08, 0.10),
                 outfile_prefix: Optional[str] = None,
                 ced_max_nme: float = 0.2,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if norm_mode not in _NORM_MODES:
            raise ValueError(f'FaceAlignmentMetric: `norm_mode` must be one of {_NORM_MODES}, '
                             f'got {norm_mode!r}')
        if keypoint_indices is not None and len(keypoint_indices) != 2:
            raise ValueError('FaceAlignmentMetric: `keypoint_indices` must be two landmark '
                             f'indices (the outer eye corners), got {keypoint_indices!r}')
        self.norm_mode = norm_mode
        self.keypoint_indices = None if keypoint_indices is None else \
            tuple(int(i) for i in keypoint_indices)
        self.subsets = self._check_subsets(subsets)
        self.thresholds = check_thresholds(thresholds)
        if not (np.isfinite(ced_max_nme) and ced_max_nme > 0):
            raise ValueError(f'FaceAlignmentMetric: `ced_max_nme` must be positive, '
                             f'got {ced_max_nme!r}')
        self.ced_max_nme = float(ced_max_nme)
        self.outfile_prefix = outfile_prefix

    @staticmethod
    def _check_subsets(subsets: Optional[dict]) -> Dict[str, tuple]:
        checked = {}
        for name, patterns in (subsets or {}).items():
            patterns = (patterns, ) if isinstance(patterns, str) else tuple(patterns)
            if not (isinstance(name, str) and name and name != 'full'):
                raise ValueError(f'FaceAlignmentMetric: subset names must be non-empty strings '
                                 f"other than 'full' (the unprefixed keys), got {name!r}")
            if not patterns or not all(isinstance(p, str) and p for p in patterns):
                raise ValueError(f'FaceAlignmentMetric: `subsets[{name!r}]` must be non-empty '
                                 f'image-path substrings, got {patterns!r}')
            checked[name] = tuple(p.replace('\\', '/') for p in patterns)
        return checked

    # ----------------------------------------------------------------- process
    def _eye_indices(self, num_keypoints: int) -> tuple:
        if self.keypoint_indices is None:
            name = (self.dataset_meta or {}).get('dataset_name')
            if name not in NME.DEFAULT_KEYPOINT_INDICES:
                raise ValueError(
                    f"FaceAlignmentMetric: no default inter-ocular landmarks for dataset {name!r};"
                    " set `keypoint_indices` (the outer eye corners) or norm_mode='box_size'")
            self.keypoint_indices = tuple(NME.DEFAULT_KEYPOINT_INDICES[name])
        if max(self.keypoint_indices) >= num_keypoints or min(self.keypoint_indices) < 0:
            raise ValueError(f'FaceAlignmentMetric: `keypoint_indices` {self.keypoint_indices} '
                             f'out of range for {num_keypoints} landmarks')
        return self.keypoint_indices

    def _norm(self, sample: dict, gt: np.ndarray, img_path: str) -> float:
        gt_inst = sample['gt_instances']
        if self.norm_mode == 'box_size':
            if 'box_size' not in gt_inst:
                raise KeyError(f"FaceAlignmentMetric(norm_mode='box_size'): {img_path} has no "
                               "`gt_instances.box_size`; end the test pipeline with "
                               "`PackFaceInputs` and use an annotation file with `box_size`")
            norm = float(np.asarray(gt_inst['box_size'], dtype=np.float64).reshape(-1)[0])
        else:
            i, j = self._eye_indices(gt.shape[0])
            norm = float(np.linalg.norm(gt[i] - gt[j]))
        if not (np.isfinite(norm) and norm > 0):
            what = 'box_size' if self.norm_mode == 'box_size' else \
                f'inter-ocular distance (landmarks {self.keypoint_indices})'
            raise ValueError(f'FaceAlignmentMetric: {what} of {img_path} is {norm}; the '
                             'normalization distance must be positive and finite')
        return norm

    def process(self, data_batch: Sequence[dict], data_samples: Sequence[dict]) -> None:
        """Store per face the landmarks, visibility, normalization and predicted scales."""
        for sample in data_samples:
            img_path = str(sample.get('img_path', sample.get('img_id', '?')))
            gt = np.asarray(sample['gt_instances']['keypoints'], dtype=np.float64)
            gt = gt.reshape(-1, gt.shape[-1])[:, :2]
            pred = np.asarray(sample['pred_instances']['keypoints'], dtype=np.float64)
            pred = pred.reshape(-1, pred.shape[-1])[:, :2]
            if pred.shape != gt.shape:
                raise ValueError(f'FaceAlignmentMetric: {img_path} has {len(pred)} predicted '
                                 f'and {len(gt)} ground-truth landmarks')
            mask = np.asarray(sample['gt_instances']['keypoints_visible']).astype(bool)
            mask = mask.reshape(-1)[:len(gt)] if mask.size >= len(gt) else \
                np.ones(len(gt), bool)
            norm = self._norm(sample, gt, img_path)
            scales = None
            if 'keypoint_scales' in sample['pred_instances']:
                s = np.asarray(sample['pred_instances']['keypoint_scales'], dtype=np.float64)
                s = s.reshape(len(gt), 2)
                if 'input_scale' in sample and 'input_size' in sample:
                    # input-crop pixels -> image pixels, per axis (as the keypoints)
                    s = crop_scales_to_image(s, sample['input_scale'], sample['input_size'])
                scales = s.mean(axis=-1)
            self.results.append(dict(img_path=img_path, pred=pred, gt=gt, mask=mask,
                                     norm=norm, scales=scales))

    # ----------------------------------------------------------------- compute
    def _set_metrics(self, errors: np.ndarray, mask: np.ndarray, nme: np.ndarray,
                     scales: Optional[np.ndarray]) -> Dict[str, float]:
        metrics = dict(NME=pooled_nme(errors, mask))
        for thr in self.thresholds:
            name = threshold_name(thr)
            metrics[f'FR@{name}'] = failure_rate(nme, thr)
            metrics[f'AUC@{name}'] = ced_auc(nme, thr)
        if scales is not None:
            metrics['scale_error_spearman'] = scale_error_spearman(scales, errors, mask)
        return metrics

    def subset_indices(self, img_paths: List[str]) -> Dict[str, np.ndarray]:
        """Indices of the faces of each configured subset (empty subsets left out)."""
        paths = [p.replace('\\', '/') for p in img_paths]
        found = {}
        for name, patterns in self.subsets.items():
            idx = np.array([i for i, p in enumerate(paths) if any(s in p for s in patterns)],
                           dtype=np.int64)
            if idx.size:
                found[name] = idx
        return found

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Metrics of the full set (no prefix) and of each subset with faces."""
        logger = MMLogger.get_current_instance()
        pred = np.stack([r['pred'] for r in results])
        gt = np.stack([r['gt'] for r in results])
        mask = np.stack([r['mask'] for r in results])
        norm = np.array([r['norm'] for r in results])
        img_paths = [r['img_path'] for r in results]
        errors = normalized_errors(pred, gt, norm)
        nme = per_sample_nme(errors, mask)
        scales = None
        if all(r['scales'] is not None for r in results):
            scales = np.stack([r['scales'] for r in results]) / norm[:, None]
        else:
            logger.info('FaceAlignmentMetric: no `keypoint_scales` predicted, calibration '
                        '(scale_error_spearman) not computed')

        sets = dict(full=np.arange(len(results)), **self.subset_indices(img_paths))
        metrics: Dict[str, float] = {}
        for name, idx in sets.items():
            values = self._set_metrics(errors[idx], mask[idx], nme[idx],
                                       None if scales is None else scales[idx])
            key = '' if name == 'full' else f'{name}/'
            metrics.update({f'{key}{k}': v for k, v in values.items()})
            logger.info(f'{name} ({idx.size} faces, {self.norm_mode} NME): ' + ', '.join(
                f'{k} {100 * v:.2f}%' if k.startswith(('NME', 'FR')) else f'{k} {v:.4f}'
                for k, v in values.items()))
        if self.outfile_prefix:
            self._write_outputs(sets, img_paths, nme, norm, errors, mask, scales, metrics)
        return metrics

    def _write_outputs(self, sets: Dict[str, np.ndarray], img_paths: List[str],
                       nme: np.ndarray, norm: np.ndarray, errors: np.ndarray,
                       mask: np.ndarray, scales: Optional[np.ndarray],
                       metrics: Dict[str, float]) -> None:
        """Write ``<prefix>_per_sample.json`` and ``<prefix>_ced.png``."""
        folder = osp.dirname(osp.abspath(self.outfile_prefix))
        os.makedirs(folder, exist_ok=True)
        membership = {i: [] for i in range(len(img_paths))}
        for name, idx in sets.items():
            if name != 'full':
                for i in idx:
                    membership[int(i)].append(name)

        def num(x: float) -> Optional[float]:
            return float(x) if np.isfinite(x) else None

        landmark_nme = [e[m].mean() if m.any() else np.nan for e, m in zip(errors.T, mask.T)]
        mean_scale = [np.nan] * len(img_paths) if scales is None else \
            [s[m].mean() if m.any() else np.nan for s, m in zip(scales, mask)]
        dump = dict(
            norm_mode=self.norm_mode,
            keypoint_indices=list(self.keypoint_indices) if self.norm_mode == 'inter_ocular'
            else None,
            thresholds=list(self.thresholds),
            num_faces={name: int(idx.size) for name, idx in sets.items()},
            metrics={k: num(v) for k, v in metrics.items()},
            per_landmark_nme=[num(v) for v in landmark_nme],
            samples=[dict(img_path=p, nme=num(nme[i]), norm=num(norm[i]),
                          mean_scale=num(mean_scale[i]),
                          subsets=membership[i]) for i, p in enumerate(img_paths)])
        per_sample_file = f'{self.outfile_prefix}_per_sample.json'
        with open(per_sample_file, 'w') as f:
            f.write(_dumps_one_sample_per_line(dump))
        curves = {'full': nme}
        curves.update({name: nme[idx] for name, idx in sets.items()
                       if name != 'full' and idx.size != len(img_paths)})
        ced_file = save_ced_plot(
            curves, f'{self.outfile_prefix}_ced.png', max_threshold=self.ced_max_nme,
            thresholds=self.thresholds,
            title=f'CED ({self.norm_mode.replace("_", "-")} NME)')
        MMLogger.get_current_instance().info(
            f'FaceAlignmentMetric: per-sample results in {per_sample_file}, CED in {ced_file}')
