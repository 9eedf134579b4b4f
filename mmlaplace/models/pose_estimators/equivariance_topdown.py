"""Top-down estimator trained with the equivariance loss (ELT) on labeled + unlabeled faces."""
from collections import OrderedDict
from typing import Dict, Optional

import torch
from mmengine.logging import MessageHub
from mmengine.optim import OptimWrapper
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from ..utils.similarity_warp import sample_similarity, transform_points, warp_images
from .semi_supervised_data import split_semi_supervised_data

_TRANSFORM_KEYS = ('rotate', 'scale', 'shift')


@MODELS.register_module()
class EquivarianceTopdownPoseEstimator(TopdownPoseEstimator):
    r"""Semi-supervised top-down estimator with the equivariance loss (Honari et al., CVPR 2018).

    Every :meth:`train_step` takes ``dict(labeled=batch, unlabeled=batch)`` (as fed by
    :class:`SemiSupervisedEpochBasedTrainLoop`) and minimizes

    .. math::

        L = L_{sup}(\text{labeled}) + \lambda\, \frac{1}{|S|} \sum_{I \in S}
            \ell\big(T(f(I)),\, f(T(I))\big)

    with :math:`L_{sup}` the head's loss, :math:`S` the unlabeled images and the first
    ``elt_labeled`` labeled ones, :math:`T` a random similarity per image
    (:func:`~mmlaplace.models.utils.sample_similarity`: ``transform`` ranges) and :math:`\ell`
    the ``equivariance_loss`` module (:class:`EquivarianceLoss`: ``'distance'`` in input
    pixels, or ``'laplace_kl'`` between the two predicted Laplace distributions). The
    originals and the warped images of :math:`S` go through the network in one batch, with
    gradients through both. Landmarks whose :math:`T(f(I))` leaves the crop get weight 0.

    The head must expose ``forward_moments(feats) -> (coords, scales, heatmaps)``
    (:class:`SoftArgmaxHead`, any backbone); ``loss``, ``predict`` and the test tools are
    MMPose's.

    **Log vars**: ``loss``, ``sup_<head keys>``, ``elt_loss`` (weighted) and
    ``elt_distance`` (mean pixel distance, unweighted, for monitoring).

    Args:
        backbone, neck, head, train_cfg, test_cfg, data_preprocessor, init_cfg, metainfo: As
            :class:`TopdownPoseEstimator`.
        equivariance_loss (dict): The loss config. Defaults to
            ``dict(type='EquivarianceLoss', kind='distance', loss_weight=0.01)``.
        transform (dict): ``rotate`` (degrees), ``scale`` ((low, high)), ``shift`` (fraction
            of the crop). Defaults to ``dict(rotate=15, scale=(0.9, 1.1), shift=0.08)``.
        elt_labeled (int): Labeled images of each batch that also get the term. Defaults to 8.
        warmup_iters (int): The term's weight rises linearly from 0 over these iterations
            (the model's early landmarks are noise); the runner's iteration, so a resumed
            run continues the ramp. Defaults to 0.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: OptConfigType = None,
                 head: OptConfigType = None,
                 equivariance_loss: OptConfigType = None,
                 transform: Optional[dict] = None,
                 elt_labeled: int = 8,
                 warmup_iters: int = 0,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None):
        super().__init__(backbone=backbone, neck=neck, head=head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg, metainfo=metainfo)
        if head is None or not hasattr(self.head, 'forward_moments'):
            raise TypeError('EquivarianceTopdownPoseEstimator needs a head with '
                            'forward_moments (coords, scales, heatmaps), e.g. SoftArgmaxHead; '
                            f'got {type(self.head).__name__}')
        self.elt = MODELS.build(equivariance_loss or dict(
            type='EquivarianceLoss', kind='distance', loss_weight=0.01))
        transform = dict(dict(rotate=15.0, scale=(0.9, 1.1), shift=0.08), **(transform or {}))
        unknown = set(transform) - set(_TRANSFORM_KEYS)
        if unknown:
            raise ValueError(f'transform: unknown keys {sorted(unknown)} (known: '
                             f'{list(_TRANSFORM_KEYS)})')
        sample_similarity(1, (8, 8), **transform)  # validates the ranges now
        self.transform = transform
        if not (isinstance(elt_labeled, int) and elt_labeled >= 0):
            raise ValueError(f'elt_labeled must be an int >= 0, got {elt_labeled!r}')
        if not (isinstance(warmup_iters, int) and warmup_iters >= 0):
            raise ValueError(f'warmup_iters must be an int >= 0, got {warmup_iters!r}')
        self.elt_labeled, self.warmup_iters = elt_labeled, warmup_iters

    def equivariance_terms(self, images: Tensor) -> Dict[str, Tensor]:
        """``elt_loss`` (weighted, with graph) and ``elt_distance`` on images (B, 3, H, W)."""
        b, _, h, w = images.shape
        matrices = sample_similarity(b, (w, h), device=images.device, **self.transform)
        warped = warp_images(images, matrices.to(images.dtype))
        coords, scales, heatmaps = self.head.forward_moments(
            self.extract_feat(torch.cat([images, warped])))
        hm_h, hm_w = heatmaps.shape[-2:]
        points = coords.float() * coords.new_tensor([w, h]).float()
        scales = scales.float() * scales.new_tensor([w / hm_w, h / hm_h]).float()
        mu, mu_t = points[:b], points[b:]
        target = transform_points(mu.detach(), matrices)
        inside = ((target >= 0) & (target <= target.new_tensor([w - 1, h - 1]))).all(-1)
        loss = self.elt(mu, mu_t, matrices, inside.float(), scales=scales[:b],
                        scales_t=scales[b:])
        with torch.no_grad():
            dist = (target - mu_t).norm(dim=-1)
            dist = (dist * inside).sum() / inside.sum().clamp_min(1)
        return OrderedDict(elt_loss=loss, elt_distance=dist)

    def train_step(self, data: dict, optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """Supervised loss on the labeled batch + the weighted ELT term (class docstring)."""
        labeled, unlabeled = split_semi_supervised_data(
            data, 'EquivarianceTopdownPoseEstimator')
        labeled = self.data_preprocessor(labeled, True)
        unlabeled = self.data_preprocessor(unlabeled, True)
        inputs_l, samples_l = labeled['inputs'], labeled['data_samples']
        with optim_wrapper.optim_context(self):
            feats = self.extract_feat(inputs_l)
            sup = self.head.loss(feats, samples_l, train_cfg=self.train_cfg)
            loss, sup_log = self.parse_losses(sup)
            log_vars = OrderedDict(
                (f'sup_{k}', v.detach()) for k, v in sup_log.items() if k != 'loss')
            # the runner's iteration (restored by --resume), 0 outside a runner
            it = MessageHub.get_current_instance().get_info('iter') or 0
            ramp = min(1.0, (it + 1) / self.warmup_iters) if self.warmup_iters else 1.0
            if self.elt.loss_weight > 0:
                images = torch.cat([inputs_l[:self.elt_labeled], unlabeled['inputs']])
                terms = self.equivariance_terms(images)
                loss = loss + ramp * terms['elt_loss']
                log_vars.update((k, v.detach()) for k, v in terms.items())
        optim_wrapper.update_params(loss)
        log_vars['loss'] = loss.detach()
        log_vars.move_to_end('loss', last=False)
        return log_vars
