"""The shared loop of the single-optimizer semi-supervised estimators (ELT, STC)."""
from collections import OrderedDict
from typing import Dict, Optional

from mmengine.optim import OptimWrapper
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from .semi_supervised_data import current_iter, split_semi_supervised_data


class SemiSupervisedTopdownPoseEstimator(TopdownPoseEstimator):
    r"""Base of the top-down estimators with one unlabeled term and one optimizer.

    Every :meth:`train_step` takes ``dict(labeled=batch, unlabeled=batch)`` (as fed by
    :class:`SemiSupervisedEpochBasedTrainLoop`) and minimizes

    .. math::

        L = L_{sup}(\text{labeled}) + r(t) \sum_{n} L_n

    with :math:`L_{sup}` the head's loss, :math:`L_n` the ``*_loss`` entries of
    :meth:`unlabeled_terms` (weighted by the subclass; the other entries are logged only) and
    :math:`r(t) = \min(1, (t + 1) / \text{warmup\_iters})` a linear ramp over the runner's
    iterations (so a resumed run continues it). Subclasses implement :meth:`unlabeled_terms`;
    ``loss``, ``predict`` and the test tools are MMPose's.

    The head must expose ``forward_moments(feats) -> (coords, scales, heatmaps)``
    (:class:`SoftArgmaxHead`, any backbone).

    **Log vars**: ``loss``, ``sup_<head keys>`` and the entries of :meth:`unlabeled_terms`.

    Args:
        backbone, neck, head, train_cfg, test_cfg, data_preprocessor, init_cfg, metainfo: As
            :class:`TopdownPoseEstimator`.
        warmup_iters (int): The ramp's length; 0 for no ramp. Defaults to 0.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: OptConfigType = None,
                 head: OptConfigType = None,
                 warmup_iters: int = 0,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None):
        super().__init__(backbone=backbone, neck=neck, head=head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg, metainfo=metainfo)
        name = type(self).__name__
        if head is None or not hasattr(self.head, 'forward_moments'):
            raise TypeError(f'{name} needs a head with forward_moments (coords, scales, '
                            f'heatmaps), e.g. SoftArgmaxHead; got {type(self.head).__name__}')
        if not (isinstance(warmup_iters, int) and warmup_iters >= 0):
            raise ValueError(f'{name}: warmup_iters must be an int >= 0, got {warmup_iters!r}')
        self.warmup_iters = warmup_iters

    def unlabeled_terms(self, inputs_l: Tensor, inputs_u: Tensor) -> Dict[str, Tensor]:
        """The unlabeled term(s): ``*_loss`` entries (weighted, with graph) and logs.

        Args:
            inputs_l (Tensor): The preprocessed labeled images (B_l, 3, H, W).
            inputs_u (Tensor): The preprocessed unlabeled images (B_u, 3, H, W).
        """
        raise NotImplementedError

    def train_step(self, data: dict, optim_wrapper: OptimWrapper) -> Dict[str, Tensor]:
        """Supervised loss on the labeled batch + the ramped unlabeled terms."""
        labeled, unlabeled = split_semi_supervised_data(data, type(self).__name__)
        labeled = self.data_preprocessor(labeled, True)
        unlabeled = self.data_preprocessor(unlabeled, True)
        inputs_l, samples_l = labeled['inputs'], labeled['data_samples']
        it = current_iter()
        ramp = min(1.0, (it + 1) / self.warmup_iters) if self.warmup_iters else 1.0
        with optim_wrapper.optim_context(self):
            feats = self.extract_feat(inputs_l)
            sup = self.head.loss(feats, samples_l, train_cfg=self.train_cfg)
            loss, sup_log = self.parse_losses(sup)
            log_vars = OrderedDict(
                (f'sup_{k}', v.detach()) for k, v in sup_log.items() if k != 'loss')
            for key, value in self.unlabeled_terms(inputs_l, unlabeled['inputs']).items():
                if key.endswith('_loss'):
                    loss = loss + ramp * value
                log_vars[key] = value.detach()
        optim_wrapper.update_params(loss)
        log_vars['loss'] = loss.detach()
        log_vars.move_to_end('loss', last=False)
        return log_vars
