"""Soft-argmax head: normalized heatmaps, coordinates and per-landmark Laplace scales."""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.cnn import build_conv_layer
from mmengine.structures import InstanceData, PixelData
from mmpose.codecs import IntegralRegressionLabel, RegressionLabel
from mmpose.evaluation.functional import keypoint_pck_accuracy
from mmpose.models.heads import HeatmapHead
from mmpose.models.heads.base_head import BaseHead
from mmpose.models.utils.tta import flip_coordinates, flip_heatmaps
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList, Predictions
from torch import Tensor, nn

from ...codecs import SoftArgmaxLabel
from ..utils import heatmap_moments, normalize_heatmaps

OptIntSeq = Optional[Sequence[int]]


@MODELS.register_module()
class SoftArgmaxHead(BaseHead):
    r"""Soft-argmax head of Laplace Landmark Localization (Robinson et al., ICCV 2019).

    Turns the last feature map of a backbone into ``K`` logit maps ``z_k``, normalizes them
    into heatmaps ``p_k = softmax(beta * z_k)`` over all ``H * W`` pixels, and reads off
    per landmark the soft-argmax mean and the per-axis Laplace scale:

    .. math::

        \mu_k = \sum_x p_k(x)\, x, \qquad b_k = \sum_x p_k(x)\, |x - \mu_k|

    ``b_k`` is the model's own uncertainty about landmark ``k``.

    Layers between the features and the logit maps, all optional:

    - ``deconv_out_channels`` etc.: MMPose's :class:`HeatmapHead` stack (deconvs, convs and
      a final 1x1 conv to ``K`` maps), as in :class:`IntegralRegressionHead`;
    - without deconvs, ``final_layer`` is a conv to ``K`` maps; set ``final_layer=None`` when
      the backbone already outputs ``K`` maps (:class:`RCN`);
    - ``heatmap_size=(W, H)`` resizes the logit maps bilinearly to that size.

    Coordinates follow MMPose's :class:`IntegralRegressionHead`: the heatmap pixel
    ``(i, j)`` sits at the normalized position ``(j / W, i / H)``. With the same features and
    ``beta`` both heads give the same coordinates. The decoder is a :class:`SoftArgmaxLabel`
    codec (:mod:`mmlaplace.codecs`): its ``decode_moments`` maps the moments to the input
    crop (``x = mu * input_w / W``) and gives the scores. A plain ``RegressionLabel`` or
    ``IntegralRegressionLabel`` decoder (older configs) is wrapped into a
    :class:`SoftArgmaxLabel` with its ``input_size``, giving the same keypoints.

    Losses: an mmlaplace heatmap loss (:class:`LaplaceKLLoss`, :class:`GaussianKLLoss`,
    :class:`SoftArgmaxLoss`, recognised by their ``takes_heatmaps`` attribute) receives the
    heatmaps and the targets in heatmap pixels; any other MMPose loss (e.g. ``SmoothL1Loss``)
    receives normalized coordinates, as with :class:`IntegralRegressionHead`.

    Predictions (``predict``, decoded by :meth:`SoftArgmaxLabel.decode_moments`):
    ``keypoints`` in input-image pixels (the pose estimator maps them to the original image),
    ``keypoint_scales`` (num_instances, K, 2), the per-axis Laplace scale in input-image
    pixels, and ``keypoint_scores`` in [0, 1], ``exp(-mean(b) / score_scale)`` with ``b`` and
    ``score_scale`` in heatmap pixels.

    Args:
        in_channels (int): Channels of the backbone's last feature map.
        num_keypoints (int): Number of landmarks ``K``.
        beta (float): Softmax temperature (1 in the paper). Defaults to 1.0.
        heatmap_size (Sequence[int], optional): Output heatmap size ``(W, H)``; the logit maps
            are resized to it when they differ. Defaults to None (keep the size).
        deconv_out_channels (Sequence[int], optional): Deconv channels of an MMPose
            :class:`HeatmapHead` stack. Defaults to None (no deconvs).
        deconv_kernel_sizes (Sequence[int], optional): Their kernel sizes.
        conv_out_channels (Sequence[int], optional): Intermediate conv channels.
        conv_kernel_sizes (Sequence[int], optional): Their kernel sizes.
        final_layer (dict, optional): The last conv to ``K`` maps. None: the features must
            already have ``K`` channels. Defaults to ``dict(kernel_size=1)``.
        score_scale (float): Scale (heatmap pixels) that maps ``b`` to a confidence, passed
            to the decoder. One rule: a ``score_scale`` set in the ``SoftArgmaxLabel``
            decoder config wins (and ``self.score_scale`` becomes it); otherwise the codec
            takes this value. Defaults to 4.0.
        loss (dict): Loss config. Defaults to ``dict(type='LaplaceKLLoss')``.
        decoder (dict, optional): Codec that decodes the predictions, e.g.
            ``dict(type='SoftArgmaxLabel', input_size=(80, 80))``; a ``RegressionLabel`` /
            ``IntegralRegressionLabel`` config is wrapped into a ``SoftArgmaxLabel`` with its
            ``input_size``; other codecs are an error. Defaults to None (no ``predict``).
        init_cfg (dict, optional): Initialization config.

    Example:
        >>> import torch
        >>> head = SoftArgmaxHead(in_channels=68, num_keypoints=68, final_layer=None)
        >>> coords, heatmaps = head((torch.randn(2, 68, 80, 80),))
        >>> coords.shape, heatmaps.shape
        (torch.Size([2, 68, 2]), torch.Size([2, 68, 80, 80]))
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int,
                 beta: float = 1.0,
                 heatmap_size: Optional[Sequence[int]] = None,
                 deconv_out_channels: OptIntSeq = None,
                 deconv_kernel_sizes: OptIntSeq = None,
                 conv_out_channels: OptIntSeq = None,
                 conv_kernel_sizes: OptIntSeq = None,
                 final_layer: Optional[dict] = dict(kernel_size=1),  # noqa: B006 (MMPose style)
                 score_scale: float = 4.0,
                 loss: ConfigType = dict(type='LaplaceKLLoss'),  # noqa: B006
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(init_cfg)
        if isinstance(in_channels, (list, tuple)):
            raise ValueError(f'{self.__class__.__name__} takes one feature map: in_channels '
                             f'must be an int, got {in_channels}')
        if beta <= 0:
            raise ValueError(f'SoftArgmaxHead: beta must be positive, got {beta}')
        if score_scale <= 0:
            raise ValueError(f'SoftArgmaxHead: score_scale must be positive, got {score_scale}')
        self.in_channels = in_channels
        self.num_keypoints = num_keypoints
        self.beta = float(beta)
        self.score_scale = float(score_scale)
        self.heatmap_size = tuple(heatmap_size) if heatmap_size is not None else None
        if self.heatmap_size is not None and len(self.heatmap_size) != 2:
            raise ValueError('SoftArgmaxHead: heatmap_size must be (W, H), got '
                             f'{heatmap_size}')
        self.loss_module = MODELS.build(loss)
        self.decoder: Optional[SoftArgmaxLabel] = (
            self._build_decoder(decoder) if decoder is not None else None)

        if deconv_out_channels:
            self.map_layers: nn.Module = HeatmapHead(
                in_channels=in_channels,
                out_channels=num_keypoints,
                deconv_out_channels=deconv_out_channels,
                deconv_kernel_sizes=deconv_kernel_sizes,
                conv_out_channels=conv_out_channels,
                conv_kernel_sizes=conv_kernel_sizes,
                final_layer=final_layer)
            out_channels = num_keypoints if final_layer is not None else deconv_out_channels[-1]
        elif final_layer is not None:
            cfg = dict(type='Conv2d', in_channels=in_channels, out_channels=num_keypoints,
                       kernel_size=1)
            cfg.update(final_layer)
            self.map_layers = build_conv_layer(cfg)
            out_channels = num_keypoints
        else:
            self.map_layers = nn.Identity()
            out_channels = in_channels
        if out_channels != num_keypoints:
            raise ValueError(
                f'SoftArgmaxHead: the maps fed to the softmax have {out_channels} channels but '
                f'num_keypoints={num_keypoints}; set final_layer (a conv to K maps) or make the '
                'backbone output K maps')

    def _build_decoder(self, decoder: ConfigType) -> SoftArgmaxLabel:
        """The :class:`SoftArgmaxLabel` of a decoder config (see ``score_scale``)."""
        codec = KEYPOINT_CODECS.build(decoder)
        if isinstance(codec, SoftArgmaxLabel):
            if 'score_scale' in decoder:
                self.score_scale = codec.score_scale  # the codec's own value wins
            else:
                codec.score_scale = self.score_scale
            return codec
        if isinstance(codec, (RegressionLabel, IntegralRegressionLabel)):
            input_size = getattr(codec, 'input_size', None)
            if input_size is None:  # IntegralRegressionLabel keeps it in its keypoint codec
                input_size = codec.keypoint_codec.input_size
            return SoftArgmaxLabel(input_size=input_size, score_scale=self.score_scale)
        raise TypeError(f'SoftArgmaxHead: the decoder must be a SoftArgmaxLabel (or a '
                        f'RegressionLabel / IntegralRegressionLabel) codec, got '
                        f'{type(codec).__name__}')

    # ------------------------------------------------------------------ forward
    def forward_logits(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """Logit maps ``z`` (B, K, H, W) from the last feature map."""
        if isinstance(self.map_layers, HeatmapHead):
            logits = self.map_layers(feats)  # MMPose's HeatmapHead takes the feature tuple
        else:
            logits = self.map_layers(feats[-1])
        if self.heatmap_size is not None and tuple(logits.shape[-1:-3:-1]) != self.heatmap_size:
            logits = F.interpolate(logits, size=self.heatmap_size[::-1], mode='bilinear',
                                   align_corners=False)
        return logits

    def forward_moments(self, feats: Tuple[Tensor, ...]) -> Tuple[Tensor, Tensor, Tensor]:
        """Heatmaps and their soft-argmax moments.

        Returns:
            tuple: ``coords`` (B, K, 2) normalized to [0, 1) like MMPose's integral heads,
            ``scales`` (B, K, 2) per-axis Laplace scale in heatmap pixels, and ``heatmaps``
            (B, K, H, W), each summing to 1.
        """
        heatmaps = normalize_heatmaps(self.forward_logits(feats), self.beta)
        mu, b, _ = heatmap_moments(heatmaps)
        H, W = heatmaps.shape[-2:]
        coords = mu / mu.new_tensor([W, H])
        return coords, b, heatmaps

    def forward(self, feats: Tuple[Tensor, ...]) -> Tuple[Tensor, Tensor]:
        """Coordinates (B, K, 2), normalized, and heatmaps (B, K, H, W)."""
        coords, _, heatmaps = self.forward_moments(feats)
        return coords, heatmaps

    # ------------------------------------------------------------------ predict
    def predict(self,
                feats: Union[Tuple[Tensor, ...], Sequence[Tuple[Tensor, ...]]],
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:  # noqa: B006 (MMPose signature)
        """Predict keypoints, scores and scales; flip test as in MMPose.

        With ``test_cfg['flip_test']`` the features are ``[orig, flipped]``: coordinates are
        flipped back with :func:`flip_coordinates` (``shift_coords`` as configured, default
        True) and averaged, scales are re-indexed with ``flip_indices`` and averaged, heatmaps
        are flipped back and averaged.

        The moments are decoded by the codec (:meth:`SoftArgmaxLabel.decode_moments`).

        Returns:
            list[InstanceData] | tuple: per sample ``keypoints`` (1, K, 2) in input pixels,
            ``keypoint_scores`` (1, K), ``keypoint_scales`` (1, K, 2) in input pixels; with
            ``test_cfg['output_heatmaps']`` also a list of :class:`PixelData` with
            ``heatmaps`` (K, H, W).
        """
        if self.decoder is None:
            raise RuntimeError(
                f'The decoder has not been set in {self.__class__.__name__}. Please set the '
                'decoder configs in the init parameters to enable head methods '
                '`head.predict()` and `head.decode()`')
        if test_cfg.get('flip_test', False):
            assert isinstance(feats, list) and len(feats) == 2
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            input_size = batch_data_samples[0].metainfo['input_size']
            coords, scales, heatmaps = self.forward_moments(feats[0])
            coords_f, scales_f, heatmaps_f = self.forward_moments(feats[1])
            coords_f = flip_coordinates(coords_f, flip_indices=flip_indices,
                                        shift_coords=test_cfg.get('shift_coords', True),
                                        input_size=input_size)
            heatmaps_f = flip_heatmaps(heatmaps_f, flip_mode='heatmap',
                                       flip_indices=flip_indices,
                                       shift_heatmap=test_cfg.get('shift_heatmap', False))
            coords = (coords + coords_f) * 0.5
            scales = (scales + scales_f[:, flip_indices]) * 0.5
            heatmaps = (heatmaps + heatmaps_f) * 0.5
        else:
            coords, scales, heatmaps = self.forward_moments(feats)

        H, W = heatmaps.shape[-2:]
        keypoints, keypoint_scales, keypoint_scores = self.decoder.decode_moments(
            coords * coords.new_tensor([W, H]), scales, (W, H))
        preds = [
            InstanceData(keypoints=k[None], keypoint_scores=c[None], keypoint_scales=s[None])
            for k, c, s in zip(to_numpy(keypoints).astype(np.float32),
                               to_numpy(keypoint_scores).astype(np.float32),
                               to_numpy(keypoint_scales).astype(np.float32))
        ]

        if test_cfg.get('output_heatmaps', False):
            return preds, [PixelData(heatmaps=hm) for hm in heatmaps.detach()]
        return preds

    # --------------------------------------------------------------------- loss
    def loss(self,
             feats: Tuple[Tensor, ...],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:  # noqa: B006 (MMPose signature)
        """``loss_kpt`` from MMPose's ``keypoint_labels`` / ``keypoint_weights``.

        Also returns ``acc_pose``, the PCK at 0.05 of the normalized coordinates, as
        :class:`IntegralRegressionHead` does.
        """
        coords, _, heatmaps = self.forward_moments(feats)
        labels = torch.cat([d.gt_instance_labels.keypoint_labels for d in batch_data_samples])
        weights = torch.cat([d.gt_instance_labels.keypoint_weights for d in batch_data_samples])
        labels = labels.to(coords.dtype)
        if labels.shape != coords.shape:
            raise ValueError(
                f'SoftArgmaxHead: keypoint_labels have shape {tuple(labels.shape)} but the head '
                f'predicts {tuple(coords.shape)} (num_keypoints={self.num_keypoints}); check '
                'the dataset metainfo and the codec')
        if getattr(self.loss_module, 'takes_heatmaps', False):
            H, W = heatmaps.shape[-2:]
            loss = self.loss_module(heatmaps, labels * labels.new_tensor([W, H]), weights)
        else:
            loss = self.loss_module(coords, labels, weights)

        _, avg_acc, _ = keypoint_pck_accuracy(
            pred=to_numpy(coords), gt=to_numpy(labels), mask=to_numpy(weights) > 0, thr=0.05,
            norm_factor=np.ones((coords.size(0), 2), dtype=np.float32))
        return dict(loss_kpt=loss, acc_pose=torch.tensor(avg_acc, device=labels.device))
