"""Top-down estimator trained by self-training with curriculum (STC, PIPNet Sec. 3.3)."""
import copy
import numbers
from collections import OrderedDict
from typing import Dict, Optional, Sequence

import torch
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn

from ..losses.functional import laplace_kl_loss
from ..utils.pseudo_labels import (
    curriculum_round,
    curriculum_target_scale,
    select_pseudo_labels,
)
from ..utils.similarity_warp import (
    inside_crop,
    sample_similarity,
    similarity_ranges,
    transform_points,
    warp_images,
)
from .semi_supervised_data import current_iter
from .semi_supervised_topdown import SemiSupervisedTopdownPoseEstimator

_SELF_TRAINING_KEYS = ('start_iter', 'round_iters', 'target_scales', 'keep_ratio',
                       'loss_weight')


@MODELS.register_module()
class SelfTrainingTopdownPoseEstimator(SemiSupervisedTopdownPoseEstimator):
    r"""Semi-supervised top-down estimator: self-training with curriculum (PIPNet, IJCV 2021).

    PIPNet's STC (labeled training; pseudo-label the unlabeled faces with the trained model;
    train on both, the pseudo-labeled faces through a coarse-to-fine task; repeat) done online
    in the :class:`SemiSupervisedTopdownPoseEstimator` loop:

    - before ``start_iter``, labeled faces only (PIPNet's step 1);
    - at the start of every round of ``round_iters`` iterations the **teacher**, a frozen
      copy of the network, is refreshed from the current weights; within a round it labels
      each unlabeled batch (its pseudo-labels are what a pass over the unlabeled set at the
      round's start would give: the unlabeled crops are not augmented);
    - the student sees each unlabeled face under a random similarity :math:`T`
      (``transform``, PIPNet trains the pseudo-labeled faces with the usual augmentation)
      and pays

      .. math::

          L_{stc} = \lambda\, \frac{\sum w_k\, \mathrm{KL}\big(\mathrm{Lap}(\mu_k(T I),
              b_k(T I)) \,\|\, \mathrm{Lap}(T \hat y_k, b_0^{(r)})\big)}{\sum w_k}

      with :math:`\hat y` the teacher's landmarks, :math:`b_0^{(r)}` the round's target
      scale (``target_scales``: the curriculum, e.g. ``(4, 2, 1)``, coarse to fine, the last
      repeated) and :math:`w_k` 1 for the ``keep_ratio`` most confident pseudo-labels of the
      batch (smallest teacher scale, inside the crop after :math:`T`), else 0.

    The curriculum is the precision of the target instead of PIPNet's higher-stride heads:
    with a soft-argmax head a wide :math:`\mathrm{Lap}(\hat y, b_0)` is the coarse task
    (errors below :math:`b_0` cost little), and the head needs no extra layers. The teacher
    and its round are in the state dict, so ``--resume`` continues the round with the same
    teacher. ``predict``, the test tools and ONNX export use the student only.

    **Log vars**: ``loss``, ``sup_<head keys>``, and from ``start_iter`` on ``stc_loss``
    (weighted), ``stc_target_scale`` (:math:`b_0^{(r)}`), ``stc_kept`` (fraction of
    pseudo-labels used) and ``stc_distance`` (mean input-pixel distance between the student
    and the kept pseudo-labels, for monitoring).

    Args:
        backbone, neck, head, train_cfg, test_cfg, data_preprocessor, init_cfg, metainfo: As
            :class:`TopdownPoseEstimator`.
        self_training (dict): ``start_iter`` (int >= 0, default 0), ``round_iters`` (int > 0,
            default 1000), ``target_scales`` (positive numbers in heatmap pixels, default
            ``(4.0, 2.0, 1.0)``), ``keep_ratio`` (in (0, 1], default 1.0: PIPNet keeps
            every pseudo-label), ``loss_weight`` (:math:`\lambda` >= 0, default 1.0).
        transform (dict): The student's similarity ranges (see
            :func:`~mmlaplace.models.utils.similarity_ranges`); ``dict(rotate=0,
            scale=(1, 1), shift=0)`` for none. Defaults to the ELT ranges.
        warmup_iters (int): Ramp of the term from iteration 0 (see the base); usually 0,
            ``start_iter`` already waits. Defaults to 0.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: OptConfigType = None,
                 head: OptConfigType = None,
                 self_training: Optional[dict] = None,
                 transform: Optional[dict] = None,
                 warmup_iters: int = 0,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None):
        super().__init__(backbone=backbone, neck=neck, head=head, warmup_iters=warmup_iters,
                         train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg,
                         metainfo=metainfo)
        name = type(self).__name__
        cfg = dict(start_iter=0, round_iters=1000, target_scales=(4.0, 2.0, 1.0),
                   keep_ratio=1.0, loss_weight=1.0)
        unknown = set(self_training or {}) - set(_SELF_TRAINING_KEYS)
        if unknown:
            raise ValueError(f'{name}: self_training: unknown keys {sorted(unknown)} (known: '
                             f'{list(_SELF_TRAINING_KEYS)})')
        cfg.update(self_training or {})
        self._check_schedule(name, cfg)
        self.start_iter, self.round_iters = cfg['start_iter'], cfg['round_iters']
        self.target_scales = tuple(float(b) for b in cfg['target_scales'])
        self.keep_ratio, self.loss_weight = float(cfg['keep_ratio']), float(cfg['loss_weight'])
        self.transform = similarity_ranges(transform, name)
        parts = dict(backbone=self.backbone, head=self.head)
        if self.with_neck:
            parts['neck'] = self.neck
        self.teacher = nn.ModuleDict({k: copy.deepcopy(v) for k, v in parts.items()})
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        # the round the teacher was copied in (-1: not yet); saved, so resume keeps it
        self.register_buffer('teacher_round', torch.tensor(-1, dtype=torch.long))

    @staticmethod
    def _check_schedule(name: str, cfg: dict) -> None:
        def is_int(v) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        if not (is_int(cfg['start_iter']) and cfg['start_iter'] >= 0):
            raise ValueError(f'{name}: self_training.start_iter must be an int >= 0, got '
                             f'{cfg["start_iter"]!r}')
        if not (is_int(cfg['round_iters']) and cfg['round_iters'] > 0):
            raise ValueError(f'{name}: self_training.round_iters must be an int > 0, got '
                             f'{cfg["round_iters"]!r}')
        scales = cfg['target_scales']
        if not (isinstance(scales, Sequence) and len(scales) > 0 and all(
                isinstance(b, numbers.Real) and 0 < b < float('inf') for b in scales)):
            raise ValueError(f'{name}: self_training.target_scales must be a non-empty list '
                             f'of positive numbers, got {scales!r}')
        if not (isinstance(cfg['keep_ratio'], numbers.Real) and 0 < cfg['keep_ratio'] <= 1):
            raise ValueError(f'{name}: self_training.keep_ratio must be in (0, 1], got '
                             f'{cfg["keep_ratio"]!r}')
        if not (isinstance(cfg['loss_weight'], numbers.Real) and cfg['loss_weight'] >= 0):
            raise ValueError(f'{name}: self_training.loss_weight must be >= 0, got '
                             f'{cfg["loss_weight"]!r}')

    def train(self, mode: bool = True) -> 'SelfTrainingTopdownPoseEstimator':
        """As ``nn.Module.train``; the teacher stays in eval mode (fixed BN statistics)."""
        super().train(mode)
        self.teacher.eval()
        return self

    def refresh_teacher(self, round_index: int) -> None:
        """Copy the current weights into the teacher and record ``round_index``."""
        for key, module in self.teacher.items():
            module.load_state_dict(getattr(self, key).state_dict())
        self.teacher_round.fill_(round_index)

    @torch.no_grad()
    def pseudo_labels(self, images: Tensor) -> tuple:
        """The teacher's ``(coords, scales)`` (B, K, 2) in heatmap pixels, and the map size."""
        feats = self.teacher['backbone'](images)
        if 'neck' in self.teacher:
            feats = self.teacher['neck'](feats)
        coords, scales, heatmaps = self.teacher['head'].forward_moments(feats)
        hm_h, hm_w = heatmaps.shape[-2:]
        mu = coords.float() * coords.new_tensor([hm_w, hm_h]).float()
        return mu, scales.float(), (hm_w, hm_h)

    def unlabeled_terms(self, inputs_l: Tensor, inputs_u: Tensor) -> Dict[str, Tensor]:
        """The STC term on the unlabeled images (class docstring); empty before start_iter."""
        round_index = curriculum_round(current_iter(), self.start_iter, self.round_iters)
        if round_index < 0 or self.loss_weight <= 0:
            return OrderedDict()
        if int(self.teacher_round) != round_index:
            self.refresh_teacher(round_index)
        target_scale = curriculum_target_scale(round_index, self.target_scales)
        b, _, h, w = inputs_u.shape
        mu_hm, b_hm, (hm_w, hm_h) = self.pseudo_labels(inputs_u)
        to_input = mu_hm.new_tensor([w / hm_w, h / hm_h])
        matrices = sample_similarity(b, (w, h), device=inputs_u.device, **self.transform)
        target = transform_points(mu_hm * to_input, matrices)
        weight = select_pseudo_labels(b_hm.mean(-1), inside_crop(target, (w, h)),
                                      self.keep_ratio)
        coords, _, heatmaps = self.head.forward_moments(
            self.extract_feat(warp_images(inputs_u, matrices.to(inputs_u.dtype))))
        loss = laplace_kl_loss(heatmaps, target / to_input, weight, target_scale=target_scale)
        with torch.no_grad():
            points = coords.float() * coords.new_tensor([w, h]).float()
            dist = ((points - target).norm(dim=-1) * weight).sum() / weight.sum().clamp_min(1)
        return OrderedDict(
            stc_loss=self.loss_weight * loss,
            stc_target_scale=loss.new_tensor(target_scale),
            stc_kept=weight.mean(),
            stc_distance=dist)
