"""Top-down estimator trained with the equivariance loss (ELT) on labeled + unlabeled faces."""
from collections import OrderedDict
from typing import Dict, Optional

import torch
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from ..utils.similarity_warp import (
    inside_crop,
    sample_similarity,
    similarity_ranges,
    transform_points,
    warp_images,
)
from .semi_supervised_topdown import SemiSupervisedTopdownPoseEstimator


@MODELS.register_module()
class EquivarianceTopdownPoseEstimator(SemiSupervisedTopdownPoseEstimator):
    r"""Semi-supervised top-down estimator with the equivariance loss (Honari et al., CVPR 2018).

    The :class:`SemiSupervisedTopdownPoseEstimator` loop with the unlabeled term

    .. math::

        L = L_{sup}(\text{labeled}) + r(t)\, \lambda\, \frac{1}{|S|} \sum_{I \in S}
            \ell\big(T(f(I)),\, f(T(I))\big)

    with :math:`L_{sup}` the head's loss, :math:`r(t)` the ``warmup_iters`` ramp, :math:`S`
    the unlabeled images and the first ``elt_labeled`` labeled ones, :math:`T` a random
    similarity per image (:func:`~mmlaplace.models.utils.sample_similarity`: ``transform``
    ranges) and :math:`\ell` the ``equivariance_loss`` module (:class:`EquivarianceLoss`:
    ``'distance'`` in input pixels, or ``'laplace_kl'`` between the two predicted Laplace
    distributions). The originals and the warped images of :math:`S` go through the network
    in one batch, with gradients through both. Landmarks whose :math:`T(f(I))` leaves the
    crop get weight 0.

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
        super().__init__(backbone=backbone, neck=neck, head=head, warmup_iters=warmup_iters,
                         train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg,
                         metainfo=metainfo)
        self.elt = MODELS.build(equivariance_loss or dict(
            type='EquivarianceLoss', kind='distance', loss_weight=0.01))
        self.transform = similarity_ranges(transform, type(self).__name__)
        if not (isinstance(elt_labeled, int) and elt_labeled >= 0):
            raise ValueError(f'elt_labeled must be an int >= 0, got {elt_labeled!r}')
        self.elt_labeled = elt_labeled

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
        inside = inside_crop(target, (w, h))
        loss = self.elt(mu, mu_t, matrices, inside.float(), scales=scales[:b],
                        scales_t=scales[b:])
        with torch.no_grad():
            dist = (target - mu_t).norm(dim=-1)
            dist = (dist * inside).sum() / inside.sum().clamp_min(1)
        return OrderedDict(elt_loss=loss, elt_distance=dist)

    def unlabeled_terms(self, inputs_l: Tensor, inputs_u: Tensor) -> Dict[str, Tensor]:
        """The ELT term on the unlabeled images and the first ``elt_labeled`` labeled ones."""
        if self.elt.loss_weight <= 0:
            return OrderedDict()
        return self.equivariance_terms(torch.cat([inputs_l[:self.elt_labeled], inputs_u]))
