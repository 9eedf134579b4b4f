"""PIPNet's head (Jin et al., IJCV 2021): score, offset and neighbour maps on a coarse grid."""
from typing import Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.structures import InstanceData
from mmpose.evaluation.functional import keypoint_pck_accuracy
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import ConfigType, OptConfigType, OptSampleList, Predictions
from torch import Tensor, nn

from ...codecs import PIPLabel

PIPMaps = Tuple[Tensor, Tensor, Tensor]


@MODELS.register_module()
class PIPHead(BaseHead):
    """Pixel-in-Pixel regression with the neighbour regression module (PIPNet, Sec. 3.1-3.2).

    One 1x1 conv on the backbone's last feature map (stride ``s``, e.g. 32, no upsampling)
    gives per landmark a score map, its ``(x, y)`` offset inside each cell and the offsets of
    its ``C`` neighbours (``C`` = the codec's ``neighbor_indices`` columns; 0 turns the module
    off). The :class:`PIPLabel` codec owns the label assignment (the paper's Fig. 4) and the
    decoding (a landmark's own vote averaged with its neighbours' votes for it); PIPNet's
    original lacks an uncertainty: here ``keypoint_scales`` is the per-axis spread of a
    landmark's votes (or, with the codec's ``scale_mode='score_softmax'``, the Laplace scale of
    its softmaxed score map), in input pixels, as :class:`SoftArgmaxHead` gives it.

    Args:
        in_channels (int): Channels of the backbone's last feature map.
        num_keypoints (int): Number of landmarks ``K``.
        decoder (dict): The :class:`PIPLabel` codec config; needed for training too (the
            targets are assigned on the batch). Its ``heatmap_size`` must be the feature map's
            size.
        loss (dict): Loss config. Defaults to ``dict(type='PIPLoss')`` (alpha = beta = 0.1,
            the paper's values at stride 32).
        init_cfg (dict, optional): Defaults to a normal init with std 0.001 and zero bias,
            as PIPNet's code.

    Example:
        >>> import torch
        >>> head = PIPHead(in_channels=16, num_keypoints=2, decoder=dict(
        ...     type='PIPLabel', input_size=(64, 64), heatmap_size=(2, 2),
        ...     neighbor_indices=[[1], [0]]))
        >>> scores, offsets, neighbors = head((torch.randn(1, 16, 2, 2),))
        >>> scores.shape, offsets.shape, neighbors.shape
        (torch.Size([1, 2, 2, 2]), torch.Size([1, 2, 2, 2, 2]), torch.Size([1, 2, 1, 2, 2, 2]))
    """

    def __init__(self,
                 in_channels: int,
                 num_keypoints: int,
                 decoder: ConfigType,
                 loss: ConfigType = dict(type='PIPLoss'),  # noqa: B006 (MMPose style)
                 init_cfg: OptConfigType = dict(  # noqa: B006
                     type='Normal', layer=['Conv2d'], std=0.001, bias=0)):
        super().__init__(init_cfg)
        if isinstance(in_channels, (list, tuple)):
            raise ValueError(f'PIPHead takes one feature map: in_channels must be an int, got '
                             f'{in_channels}')
        if decoder is None:
            raise ValueError('PIPHead needs `decoder` (a PIPLabel config): it assigns the '
                             'training targets and decodes the predictions')
        codec = KEYPOINT_CODECS.build(decoder)
        if not isinstance(codec, PIPLabel):
            raise TypeError(f'PIPHead: the decoder must be a PIPLabel codec, got '
                            f'{type(codec).__name__}')
        if codec.num_keypoints is not None and codec.num_keypoints != num_keypoints:
            raise ValueError(f'PIPHead: num_keypoints={num_keypoints} but the decoder\'s '
                             f'neighbor_indices has {codec.num_keypoints} rows')
        self.decoder = codec
        self.in_channels = in_channels
        self.num_keypoints = num_keypoints
        self.num_neighbors = codec.num_neighbors
        self.loss_module = MODELS.build(loss)
        out_channels = num_keypoints * (3 + 2 * self.num_neighbors)
        self.final_layer = nn.Conv2d(in_channels, out_channels, kernel_size=1)

    # ------------------------------------------------------------------ forward
    def forward(self, feats: Tuple[Tensor, ...]) -> PIPMaps:
        """Score maps (B, K, H, W), offsets (B, K, 2, H, W), neighbours (B, K, C, 2, H, W)."""
        x = self.final_layer(feats[-1])
        num, _, height, width = x.shape
        if (width, height) != self.decoder.heatmap_size:
            raise ValueError(
                f'PIPHead: the feature map is {width} x {height} but '
                f'model.head.decoder.heatmap_size is {self.decoder.heatmap_size}; set it to '
                'input_size / the backbone stride')
        k, c = self.num_keypoints, self.num_neighbors
        scores = x[:, :k]
        offsets = x[:, k:3 * k].reshape(num, 2, k, height, width).transpose(1, 2)
        neighbors = x[:, 3 * k:].reshape(num, 2, k, c, height, width).permute(0, 2, 3, 1, 4, 5)
        return scores, offsets, neighbors

    def forward_decoded(self, feats: Tuple[Tensor, ...]) -> Tuple[Tensor, Tensor, Tensor]:
        """Keypoints (B, K, 2), scales (B, K, 2) in input pixels and scores (B, K)."""
        return self.decoder.decode_maps(*self.forward(feats))

    # ------------------------------------------------------------------ predict
    def predict(self,
                feats: Union[Tuple[Tensor, ...], Sequence[Tuple[Tensor, ...]]],
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:  # noqa: B006 (MMPose signature)
        """Decoded keypoints, scores and scales; flip test as in MMPose.

        With ``test_cfg['flip_test']`` the features are ``[orig, flipped]``; the flipped
        view's keypoints are mirrored back (``x -> W_in - 1 - x``, the image flip of MMPose's
        ``RandomFlip``), re-indexed with ``flip_indices`` and averaged with the original's,
        as are its scales and scores.

        Returns:
            list[InstanceData]: per sample ``keypoints`` (1, K, 2) in input pixels,
            ``keypoint_scores`` (1, K), ``keypoint_scales`` (1, K, 2) in input pixels.
        """
        if test_cfg.get('flip_test', False):
            assert isinstance(feats, list) and len(feats) == 2
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            keypoints, scales, scores = self.forward_decoded(feats[0])
            keypoints_f, scales_f, scores_f = self.forward_decoded(feats[1])
            keypoints_f = keypoints_f[:, flip_indices]
            keypoints_f[..., 0] = self.decoder.input_size[0] - 1 - keypoints_f[..., 0]
            keypoints = (keypoints + keypoints_f) * 0.5
            scales = (scales + scales_f[:, flip_indices]) * 0.5
            scores = (scores + scores_f[:, flip_indices]) * 0.5
        else:
            keypoints, scales, scores = self.forward_decoded(feats)
        return [
            InstanceData(keypoints=k[None], keypoint_scores=c[None], keypoint_scales=s[None])
            for k, c, s in zip(to_numpy(keypoints).astype(np.float32),
                               to_numpy(scores).astype(np.float32),
                               to_numpy(scales).astype(np.float32))
        ]

    # --------------------------------------------------------------------- loss
    def loss(self,
             feats: Tuple[Tensor, ...],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:  # noqa: B006 (MMPose signature)
        """``loss_score``, ``loss_offset``, ``loss_neighbor`` and ``acc_pose`` (PCK at 0.05).

        Targets: MMPose's ``keypoint_labels`` (normalized, :class:`PIPLabel`'s ``encode``) and
        ``keypoint_weights``, assigned to the grid by :meth:`PIPLabel.assign_targets`.
        """
        scores, offsets, neighbors = self.forward(feats)
        labels = torch.cat([d.gt_instance_labels.keypoint_labels for d in batch_data_samples])
        weights = torch.cat([d.gt_instance_labels.keypoint_weights for d in batch_data_samples])
        if labels.shape != (scores.shape[0], self.num_keypoints, 2):
            raise ValueError(
                f'PIPHead: keypoint_labels have shape {tuple(labels.shape)} but the head '
                f'predicts {(scores.shape[0], self.num_keypoints, 2)} '
                f'(num_keypoints={self.num_keypoints}); check the dataset metainfo and the codec')
        labels = labels.to(scores.dtype)
        targets = self.decoder.assign_targets(labels, weights.to(scores.dtype))
        losses = self.loss_module(scores, offsets, neighbors, targets)

        with torch.no_grad():
            keypoints, _, _ = self.decoder.decode_maps(scores, offsets, neighbors)
        size = np.asarray(self.decoder.input_size, np.float32)
        _, avg_acc, _ = keypoint_pck_accuracy(
            pred=to_numpy(keypoints) / size, gt=to_numpy(labels), mask=to_numpy(weights) > 0,
            thr=0.05, norm_factor=np.ones((scores.size(0), 2), dtype=np.float32))
        losses['acc_pose'] = torch.tensor(avg_acc, device=labels.device)
        return losses

