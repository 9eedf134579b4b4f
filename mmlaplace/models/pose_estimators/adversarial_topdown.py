"""Top-down pose estimator trained adversarially on labeled + unlabeled images (Algorithm 1)."""
import numbers
from collections import OrderedDict
from contextlib import contextmanager
from typing import Dict, Iterator, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import ConfigType, OptConfigType, OptMultiConfig, SampleList
from torch import Tensor, nn

from ..utils import render_target_heatmaps
from .semi_supervised_data import current_iter, split_semi_supervised_data

ADV_LOSS_TYPES = ('minimax', 'non_saturating')
INVISIBLE_MODES = ('prediction', 'uniform')


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside a model wrapper (e.g. DDP), or ``module`` itself."""
    return module.module if is_model_wrapper(module) else module


def call_module(module: nn.Module, method: str, *args, **kwargs):
    """Call ``module.<method>(*args, **kwargs)``, through the wrapper's ``forward`` if wrapped.

    :class:`MMSeparateDistributedDataParallel` wraps every child with parameters in its own
    DDP. DDP synchronizes gradients only for graphs built by its ``forward``, so calling a
    method of the inner module directly (e.g. ``head.loss``) would silently skip the
    all-reduce. Here the method temporarily shadows the inner module's ``forward`` (an
    instance attribute takes precedence over the class method) and the wrapper is called.
    """
    if not is_model_wrapper(module):
        return getattr(module, method)(*args, **kwargs)
    if method == 'forward':
        return module(*args, **kwargs)
    inner = module.module
    inner.forward = getattr(inner, method)
    try:
        return module(*args, **kwargs)
    finally:
        del inner.forward


@contextmanager
def frozen(module: nn.Module) -> Iterator[None]:
    """Set ``requires_grad=False`` on all parameters of ``module``; restore the flags after."""
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


@MODELS.register_module()
class AdversarialTopdownPoseEstimator(TopdownPoseEstimator):
    r"""Semi-supervised top-down estimator with a heatmap discriminator (Robinson et al. 2019).

    Algorithm 1 of "Laplace Landmark Localization" (ICCV 2019): the generator ``G`` (backbone,
    neck and head) outputs ``K`` normalized heatmaps; the discriminator ``D`` (``discriminator``,
    e.g. :class:`HeatmapPatchDiscriminator`) judges ``[image, heatmaps]`` pairs. Real pairs are
    labeled images with heatmaps :math:`\omega(s^l)` rendered at the ground truth, fake pairs
    are unlabeled images with ``G``'s heatmaps. Each :meth:`train_step` alternates:

    1. **D step** (``disc_steps`` times, same batch): fakes ``G(d^u)``, detached (G gets no
       gradient); ``L_D = BCE(D(real), 1) + BCE(D(fake), 0)``, i.e. D maximizes
       :math:`\log D(real) + \log(1 - D(fake))`; ``optim_wrapper['discriminator']`` updates D.
    2. **G step** with D frozen (``requires_grad=False`` on D, restored after):
       ``L_G = L_sup + adv_weight * L_adv`` with ``L_sup`` the head's loss on the labeled batch
       (any head loss: LaplaceKL, softargmax, an MMPose loss) and ``L_adv`` on ``G(d^u)``:

       - ``'minimax'`` (the paper's eq. 5): minimize :math:`\log(1 - D(fake))`, i.e.
         ``-BCE(D(fake), 0)``;
       - ``'non_saturating'``: ``BCE(D(fake), 1)`` = :math:`-\log D(fake)`.

       ``G(d^u)`` is computed once per iteration, with its graph, before the D step: G's
       parameters only change after both steps, so the D step's fakes and the G step's are
       the same tensor (one generator forward less than computing them twice).

       ``optim_wrapper['generator']`` updates G. With ``adv_weight=0`` the adversarial forward
       is skipped, so the G update is exactly the supervised one. D stays in training mode
       (input noise on, BatchNorm batch statistics), as in pix2pix / mmagic.

    ``adv_weight`` (:math:`\lambda = 0.001` in the paper) weights only G's adversarial term; D's
    loss is not scaled (Algorithm 1 updates :math:`\theta_D` with :math:`\nabla L_{adv}`).

    **Keeping D from winning** (a D that is right on every patch gives G no gradient with the
    minimax loss): ``adv_loss_type='non_saturating'``; ``real_label`` < 1, one-sided label
    smoothing (Salimans et al., 2016: D's target for real pairs, fakes stay 0);
    ``noise_anneal_iters``, instance noise (Sønderby et al., 2017) that falls linearly from
    D's ``noise_std`` to 0 over these runner iterations (so a resumed run continues it); D's
    ``spectral_norm``; D's learning rate (its optimizer wrapper) and ``disc_steps``. The logs
    ``disc_acc`` and ``adv_grad_norm`` show whether G gets a signal.

    **Real heatmaps** :math:`\omega(s)`: :func:`render_target_heatmaps` (``real_heatmap.kind``
    ``'laplace'`` with scale :math:`b_0` or ``'gaussian'`` with :math:`\sigma`, in heatmap
    pixels), same size and normalization (each map sums to 1) as G's maps, centred on
    ``keypoint_labels * (W, H)`` (the head's convention). **Invisible landmarks** (keypoint
    weight 0) have no ground truth; ``real_heatmap.invisible`` chooses their real map:

    - ``'prediction'`` (default): G's own heatmap for that landmark on the same labeled image
      (computed without gradient, in training mode). That channel then carries no real/fake
      signal, so D learns only from annotated landmarks, and nothing is made up;
    - ``'uniform'``: a uniform map ``1 / (H W)``. Simpler, but a uniform channel is a give-away
      for "real" (G never outputs one), which D can exploit on such images.

    **Data**: :meth:`train_step` takes ``dict(labeled=batch, unlabeled=batch)``, each batch a
    normal MMPose batch (``dict(inputs=[...], data_samples=[...])``), as produced by
    :class:`SemiSupervisedEpochBasedTrainLoop`; both go through ``self.data_preprocessor``.
    Only ``inputs`` of the unlabeled batch are used, so any dataset without labels (or a
    labeled one, labels ignored) can feed it.

    **Log vars**: ``loss`` (G's total), ``sup_<head keys>`` (e.g. ``sup_loss_kpt``,
    ``sup_acc_pose``), ``adv_loss`` (unweighted), ``adv_grad_norm`` (the mean per-image norm of
    :math:`\partial (\lambda L_{adv}) / \partial G(d^u)`, the adversarial gradient G's
    heatmaps get), ``disc_loss_real``, ``disc_loss_fake``, ``disc_acc`` (fraction of D's
    patch decisions that are right, real and fake pooled) and ``disc_noise_std``.

    :meth:`loss`, :meth:`predict`, ``val_step`` and ``test_step`` are MMPose's (supervised
    loss only; D is not used at test time), so plain MMPose tools work. Under
    :class:`MMSeparateDistributedDataParallel` the backbone, neck, head and D are wrapped
    separately; training calls go through the wrappers (see :func:`call_module`), prediction
    uses the inner modules.

    Args:
        backbone, neck, head, train_cfg, test_cfg, data_preprocessor, init_cfg, metainfo: As
            :class:`TopdownPoseEstimator`. The head's ``forward`` must return
            ``(coords, heatmaps)`` with normalized heatmaps (B, K, H, W) (e.g.
            :class:`SoftArgmaxHead`, MMPose's ``IntegralRegressionHead``).
        discriminator (dict): Config of D, taking ``(heatmaps, images)``.
        adv_weight (float): :math:`\lambda`. Defaults to 0.001.
        adv_loss_type (str): ``'minimax'`` or ``'non_saturating'``. Defaults to ``'minimax'``.
        real_heatmap (dict): ``kind`` (``'laplace'`` | ``'gaussian'``), ``scale`` (pixels),
            ``invisible`` (``'prediction'`` | ``'uniform'``), optional ``discretization``
            (see :func:`render_target_heatmaps`). Defaults to
            ``dict(kind='laplace', scale=1.0, invisible='prediction')``.
        disc_steps (int): D updates per iteration (>= 1). Defaults to 1.
        real_label (float): D's target for real pairs, in (0, 1]. Defaults to 1.0.
        noise_anneal_iters (int): Iterations over which D's input noise anneals to 0; 0 keeps
            it constant (the paper). Defaults to 0.
        num_real (int, optional): Real pairs per D step: the first ``num_real`` labeled
            images (e.g. as many as the unlabeled batch, so D sees balanced classes at a
            fraction of the cost); None for all. Defaults to None.
    """

    def __init__(self,
                 backbone: ConfigType,
                 discriminator: ConfigType,
                 neck: OptConfigType = None,
                 head: OptConfigType = None,
                 adv_weight: float = 0.001,
                 adv_loss_type: str = 'minimax',
                 real_heatmap: Optional[dict] = None,
                 disc_steps: int = 1,
                 real_label: float = 1.0,
                 noise_anneal_iters: int = 0,
                 num_real: Optional[int] = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None,
                 metainfo: Optional[dict] = None):
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            metainfo=metainfo)
        if head is None:
            raise ValueError('AdversarialTopdownPoseEstimator needs a head (the generator '
                             'outputs its heatmaps)')
        self.discriminator = MODELS.build(discriminator)
        if adv_loss_type not in ADV_LOSS_TYPES:
            raise ValueError(f'adv_loss_type must be one of {ADV_LOSS_TYPES}, got '
                             f'{adv_loss_type!r}')
        if not adv_weight >= 0:
            raise ValueError(f'adv_weight must be >= 0, got {adv_weight}')
        if not (isinstance(disc_steps, int) and disc_steps >= 1):
            raise ValueError(f'disc_steps must be an int >= 1, got {disc_steps!r}')
        if not (isinstance(real_label, numbers.Real) and 0 < real_label <= 1):
            raise ValueError(f'real_label must be in (0, 1], got {real_label!r}')
        if not (isinstance(noise_anneal_iters, int) and noise_anneal_iters >= 0):
            raise ValueError(f'noise_anneal_iters must be an int >= 0, got '
                             f'{noise_anneal_iters!r}')
        if not (num_real is None or (isinstance(num_real, int) and num_real >= 1)):
            raise ValueError(f'num_real must be None or an int >= 1, got {num_real!r}')
        if noise_anneal_iters and not hasattr(self.discriminator, 'noise_std'):
            raise ValueError(f'noise_anneal_iters needs a discriminator with a noise_std '
                             f'attribute, got {type(self.discriminator).__name__}')
        real_heatmap = dict(dict(kind='laplace', scale=1.0, invisible='prediction'),
                            **(real_heatmap or {}))
        unknown = set(real_heatmap) - {'kind', 'scale', 'invisible', 'discretization'}
        if unknown:
            raise ValueError(f'real_heatmap: unknown keys {sorted(unknown)}')
        if real_heatmap['invisible'] not in INVISIBLE_MODES:
            raise ValueError(f'real_heatmap.invisible must be one of {INVISIBLE_MODES}, got '
                             f'{real_heatmap["invisible"]!r}')
        # validates kind / scale / discretization early
        render_target_heatmaps(torch.zeros(1, 1, 2), (2, 2), scale=real_heatmap['scale'],
                               kind=real_heatmap['kind'],
                               discretization=real_heatmap.get('discretization'))
        self.adv_weight = float(adv_weight)
        self.adv_loss_type = adv_loss_type
        self.real_heatmap = real_heatmap
        self.disc_steps = disc_steps
        self.real_label = float(real_label)
        self.noise_anneal_iters = noise_anneal_iters
        self.num_real = num_real
        self.noise_std0 = float(getattr(self.discriminator, 'noise_std', 0.0))

    # ------------------------------------------------------------------ building blocks
    @contextmanager
    def _unwrapped_children(self) -> Iterator[None]:
        """Temporarily replace wrapped children (DDP) by their inner modules."""
        wrapped = {name: m for name, m in self._modules.items()
                   if m is not None and is_model_wrapper(m)}
        for name, m in wrapped.items():
            self._modules[name] = m.module
        try:
            yield
        finally:
            self._modules.update(wrapped)

    def generate_heatmaps(self, inputs: Tensor) -> Tensor:
        """G's normalized heatmaps (B, K, H, W) for preprocessed images (B, 3, H_in, W_in)."""
        out = self.head(self.extract_feat(inputs))
        heatmaps = out[-1] if isinstance(out, (tuple, list)) else None
        if not isinstance(heatmaps, Tensor) or heatmaps.dim() != 4:
            raise TypeError(
                f'{type(unwrap(self.head)).__name__}.forward must return (coords, heatmaps) '
                'with normalized heatmaps (B, K, H, W) for adversarial training (e.g. '
                'SoftArgmaxHead)')
        return heatmaps

    def real_heatmaps(self, inputs: Tensor, data_samples: SampleList,
                      heatmap_size: Sequence[int]) -> Tensor:
        r"""Real heatmaps :math:`\omega(s)` (B, K, H, W) of a labeled batch.

        Args:
            inputs (Tensor): The preprocessed labeled images (B, 3, H_in, W_in); used (with
                ``invisible='prediction'``) only when some landmark has weight 0.
            data_samples (list[PoseDataSample]): With ``gt_instance_labels.keypoint_labels``
                (1, K, 2) normalized to [0, 1] and ``keypoint_weights`` (1, K).
            heatmap_size (Sequence[int]): ``(H, W)`` of G's heatmaps.

        Returns:
            Tensor: Maps (B, K, H, W), each summing to 1, without gradient.
        """
        labels = torch.cat([d.gt_instance_labels.keypoint_labels for d in data_samples])
        weights = torch.cat([d.gt_instance_labels.keypoint_weights for d in data_samples])
        height, width = int(heatmap_size[0]), int(heatmap_size[1])
        labels = labels.to(device=inputs.device, dtype=torch.float32)
        weights = weights.to(device=inputs.device)
        cfg = self.real_heatmap
        real = render_target_heatmaps(
            labels * labels.new_tensor([width, height]), (width, height), scale=cfg['scale'],
            kind=cfg['kind'], discretization=cfg.get('discretization'))
        invisible = weights <= 0
        if invisible.any():
            if cfg['invisible'] == 'prediction':
                with torch.no_grad():
                    fill = self.generate_heatmaps(inputs).float()
            else:
                fill = torch.full_like(real, 1.0 / (height * width))
            real = torch.where(invisible[..., None, None], fill, real)
        return real.detach()

    def generator_adv_loss(self, fake_logits: Tensor) -> Tensor:
        """G's adversarial term from D's logits on fake pairs (see the class docstring)."""
        fake_logits = fake_logits.float()
        if self.adv_loss_type == 'minimax':
            return -F.binary_cross_entropy_with_logits(fake_logits,
                                                       torch.zeros_like(fake_logits))
        return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))

    @staticmethod
    def discriminator_losses(real_logits: Tensor, fake_logits: Tensor,
                             real_label: float = 1.0) -> Dict[str, Tensor]:
        """``disc_loss_real`` (BCE with logits to ``real_label``), ``disc_loss_fake`` (to 0)
        and ``disc_acc``.
        """
        real_logits, fake_logits = real_logits.float(), fake_logits.float()
        loss_real = F.binary_cross_entropy_with_logits(
            real_logits, torch.full_like(real_logits, real_label))
        loss_fake = F.binary_cross_entropy_with_logits(fake_logits,
                                                       torch.zeros_like(fake_logits))
        with torch.no_grad():
            correct = (real_logits > 0).sum() + (fake_logits < 0).sum()
            acc = correct.float() / (real_logits.numel() + fake_logits.numel())
        return OrderedDict(disc_loss_real=loss_real, disc_loss_fake=loss_fake, disc_acc=acc)

    # ------------------------------------------------------------------ training
    @staticmethod
    def _split_data(data: dict) -> Tuple[dict, dict]:
        return split_semi_supervised_data(data, 'AdversarialTopdownPoseEstimator')

    @staticmethod
    def _split_optim(optim_wrapper: OptimWrapperDict) -> Tuple[OptimWrapper, OptimWrapper]:
        if not (isinstance(optim_wrapper, OptimWrapperDict) and 'generator' in optim_wrapper
                and 'discriminator' in optim_wrapper):
            raise TypeError(
                'AdversarialTopdownPoseEstimator.train_step needs an OptimWrapperDict with '
                '"generator" and "discriminator" (optim_wrapper.constructor='
                f'"GANOptimWrapperConstructor"), got {type(optim_wrapper).__name__}')
        return optim_wrapper['generator'], optim_wrapper['discriminator']

    def train_discriminator(self, inputs_l: Tensor, samples_l: SampleList, inputs_u: Tensor,
                            optim_wrapper: OptimWrapper,
                            fake: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """``disc_steps`` D updates on [labeled image, omega(s)] vs [unlabeled image, G].

        ``fake``: G's heatmaps of ``inputs_u`` if already computed (they are detached here);
        else they are computed without gradient.
        """
        with optim_wrapper.optim_context(self.discriminator), torch.no_grad():
            fake = (fake if fake is not None else self.generate_heatmaps(inputs_u)).detach()
            fake = fake.float()
            if self.num_real is not None:
                inputs_l, samples_l = inputs_l[:self.num_real], samples_l[:self.num_real]
            real = self.real_heatmaps(inputs_l, samples_l, fake.shape[-2:])
        log_vars: Dict[str, Tensor] = OrderedDict()
        for _ in range(self.disc_steps):
            with optim_wrapper.optim_context(self.discriminator):
                losses = self.discriminator_losses(self.discriminator(real, inputs_l),
                                                   self.discriminator(fake, inputs_u),
                                                   self.real_label)
            optim_wrapper.update_params(losses['disc_loss_real'] + losses['disc_loss_fake'])
            log_vars = OrderedDict((k, v.detach()) for k, v in losses.items())
        return log_vars

    def train_generator(self, inputs_l: Tensor, samples_l: SampleList, inputs_u: Tensor,
                        optim_wrapper: OptimWrapper,
                        fake: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """One G update on the supervised loss + ``adv_weight`` x the adversarial term.

        ``fake``: G's heatmaps of ``inputs_u`` with their graph, if already computed.
        """
        with frozen(self.discriminator):
            with optim_wrapper.optim_context(self):
                feats = self.extract_feat(inputs_l)
                sup = call_module(self.head, 'loss', feats, samples_l, train_cfg=self.train_cfg)
                loss, sup_log = self.parse_losses(sup)
                log_vars = OrderedDict(
                    (f'sup_{k}', v.detach()) for k, v in sup_log.items() if k != 'loss')
                if self.adv_weight > 0:
                    if fake is None:
                        fake = self.generate_heatmaps(inputs_u)
                    adv = self.generator_adv_loss(self.discriminator(fake, inputs_u))
                    loss = loss + self.adv_weight * adv
                    log_vars['adv_loss'] = adv.detach()
                    if fake.requires_grad:
                        grad, = torch.autograd.grad(self.adv_weight * adv, fake,
                                                    retain_graph=True)
                        log_vars['adv_grad_norm'] = grad.flatten(1).norm(dim=1).mean()
            optim_wrapper.update_params(loss)
        log_vars['loss'] = loss.detach()
        log_vars.move_to_end('loss', last=False)
        return log_vars

    def train_step(self, data: dict, optim_wrapper: OptimWrapperDict) -> Dict[str, Tensor]:
        """One D step and one G step (Algorithm 1).

        Args:
            data (dict): ``dict(labeled=batch, unlabeled=batch)``, see the class docstring.
            optim_wrapper (OptimWrapperDict): With ``generator`` and ``discriminator``.

        Returns:
            dict[str, Tensor]: Log variables (see the class docstring).
        """
        labeled, unlabeled = self._split_data(data)
        optim_g, optim_d = self._split_optim(optim_wrapper)
        noise_std = self.anneal_instance_noise()
        labeled = self.data_preprocessor(labeled, True)
        unlabeled = self.data_preprocessor(unlabeled, True)
        inputs_l, samples_l = labeled['inputs'], labeled['data_samples']
        inputs_u = unlabeled['inputs']
        fake = None
        if self.adv_weight > 0:
            # G(d^u) once, with its graph: D's step uses it detached, G's step backpropagates
            # through it. G's parameters do not change in between, so this is Algorithm 1
            # with one generator forward on the unlabeled batch less per iteration.
            with optim_g.optim_context(self):
                fake = self.generate_heatmaps(inputs_u)
        log_vars = self.train_discriminator(inputs_l, samples_l, inputs_u, optim_d, fake)
        log_g = self.train_generator(inputs_l, samples_l, inputs_u, optim_g, fake)
        log_g.update(log_vars)
        if noise_std is not None:
            log_g['disc_noise_std'] = torch.tensor(noise_std)
        return log_g

    def anneal_instance_noise(self) -> Optional[float]:
        """Set D's ``noise_std`` for the runner's iteration (``noise_anneal_iters``)."""
        if not self.noise_anneal_iters:
            return None
        std = self.noise_std0 * max(0.0, 1.0 - current_iter() / self.noise_anneal_iters)
        unwrap(self.discriminator).noise_std = std
        return std

    # ------------------------------------------------------------------ supervised / test
    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Supervised loss only (as :class:`TopdownPoseEstimator`)."""
        with self._unwrapped_children():
            return super().loss(inputs, data_samples)

    def predict(self, inputs: Tensor, data_samples: SampleList) -> SampleList:
        """MMPose's prediction; D is not used."""
        with self._unwrapped_children():
            return super().predict(inputs, data_samples)
