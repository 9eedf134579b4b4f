"""Export a SoftArgmaxHead / PIPHead pose model to ONNX: image batch -> coordinates and scales.

Graph contract (stored in the ONNX metadata, see :class:`OnnxInputSpec`):

- input ``image`` (B, 3, H, W) float32, dynamic batch ``B``, ``(W, H)`` = the config's
  ``input_size`` (the top-down crop). By default it is *already normalized* as the model's
  data preprocessor does: RGB channel order (when ``bgr_to_rgb``), ``(x - mean) / std``. With
  ``normalize_in_graph=True`` the graph takes the raw crop instead, BGR as OpenCV loads it,
  values 0..255, and does the channel swap and the mean/std itself.
- output ``coords`` (B, K, 2): landmark ``(x, y)`` in input-crop pixels; ``scales``
  (B, K, 2): the per-axis Laplace scale ``b`` in input-crop pixels; both decoded from the
  soft-argmax moments by :meth:`mmlaplace.codecs.SoftArgmaxLabel.decode_moments`, as
  ``SoftArgmaxHead.predict``'s ``keypoints`` / ``keypoint_scales``; optionally ``heatmaps``
  (B, K, h, w), each summing to 1. The head's scores, ``exp(-mean(b_heatmap) /
  score_scale)``, are not an output (same codec, from ``scales`` / stride).

No flip test in the graph. The export uses PyTorch's TorchScript-based exporter
(``dynamo=False``: the dynamo exporter needs ``onnxscript``, which the stack does not pin).
"""
import json
import os
import os.path as osp
import warnings
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from torch import Tensor, nn
from torch.nn import functional as F

from ..codecs import SoftArgmaxLabel
from .onnx_decoding import SoftArgmaxDecoder

METADATA_KEY = 'mmlaplace_input_spec'


@dataclass
class OnnxInputSpec:
    """How to feed an exported model; stored as JSON in the ONNX metadata.

    Args:
        input_size (tuple[int, int]): Crop size ``(W, H)``.
        mean (list[float]): Per-channel mean, in the model's channel order.
        std (list[float]): Per-channel std.
        bgr_to_rgb (bool): The preprocessor swaps BGR crops to RGB.
        normalize_in_graph (bool): The graph does swap + mean/std itself (input: BGR 0..255).
        num_keypoints (int): ``K``.
        output_heatmaps (bool): The graph also outputs ``heatmaps``.
    """

    input_size: Tuple[int, int]
    mean: List[float]
    std: List[float]
    bgr_to_rgb: bool
    normalize_in_graph: bool
    num_keypoints: int
    output_heatmaps: bool = False

    def preprocess(self, crops: np.ndarray) -> np.ndarray:
        """BGR uint8 crops (B, 3, H, W), as the test pipeline packs them -> graph input."""
        x = np.asarray(crops, np.float32)
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f'expected crops (B, 3, H, W), got shape {x.shape}')
        if self.normalize_in_graph:
            return np.ascontiguousarray(x)
        if self.bgr_to_rgb:
            x = x[:, ::-1]
        mean = np.asarray(self.mean, np.float32).reshape(1, -1, 1, 1)
        std = np.asarray(self.std, np.float32).reshape(1, -1, 1, 1)
        return np.ascontiguousarray((x - mean) / std, dtype=np.float32)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_onnx(cls, onnx_file: str) -> 'OnnxInputSpec':
        """Read the spec from an exported file's metadata."""
        import onnx
        model = onnx.load(onnx_file, load_external_data=False)
        for prop in model.metadata_props:
            if prop.key == METADATA_KEY:
                data = json.loads(prop.value)
                data['input_size'] = tuple(data['input_size'])
                return cls(**data)
        raise KeyError(f'{onnx_file} has no "{METADATA_KEY}" metadata: not exported by '
                       'mmlaplace.apis.export_onnx')


def decodes_in_graph(model: nn.Module) -> bool:
    """The model's head has a decoding :class:`LandmarkOnnxWrapper` exports into the graph
    (``forward_moments``: :class:`SoftArgmaxHead`; ``forward_decoded``: :class:`PIPHead`).
    """
    head = getattr(model, 'head', None)
    return hasattr(head, 'forward_moments') or hasattr(head, 'forward_decoded')


class LandmarkOnnxWrapper(nn.Module):
    """A top-down model with :class:`SoftArgmaxHead` or :class:`PIPHead` as ``image -> tensors``.

    :class:`SoftArgmaxHead`: the logits go through :class:`SoftArgmaxDecoder` (a small graph
    of the soft-argmax moments). :class:`PIPHead`: its ``forward_decoded`` (the
    :class:`PIPLabel` decoding: argmax cells, gathered offsets, neighbour votes merged by a
    constant matrix) is traced as is; no heatmaps output.

    Args:
        model (nn.Module): A pose estimator with ``extract_feat``, a ``head`` that has
            ``forward_moments`` (:class:`SoftArgmaxHead`) or ``forward_decoded``
            (:class:`PIPHead`) and a ``data_preprocessor``.
        input_size (tuple[int, int]): Crop size ``(W, H)``.
        normalize_in_graph (bool): Take raw BGR 0..255 crops and normalize inside.
        output_heatmaps (bool): Also return the heatmaps.
    """

    def __init__(self, model: nn.Module, input_size: Sequence[int],
                 normalize_in_graph: bool = False, output_heatmaps: bool = False):
        super().__init__()
        head = getattr(model, 'head', None)
        self.decodes_maps = hasattr(head, 'forward_decoded')
        if not decodes_in_graph(model):
            raise TypeError('ONNX export needs a top-down model whose head is SoftArgmaxHead or '
                            'PIPHead (model.head has neither forward_moments nor '
                            f'forward_decoded; got {type(head).__name__})')
        if self.decodes_maps and output_heatmaps:
            raise ValueError(f'{type(head).__name__} has no heatmaps to output; export without '
                             'output_heatmaps')
        self.model = model
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.normalize_in_graph = normalize_in_graph
        self.output_heatmaps = output_heatmaps
        pre = model.data_preprocessor
        self.bgr_to_rgb = bool(getattr(pre, '_channel_conversion', False))
        mean = getattr(pre, 'mean', None)
        std = getattr(pre, 'std', None)
        self.register_buffer('mean', (mean if mean is not None else torch.zeros(3, 1, 1))
                             .detach().float().reshape(1, -1, 1, 1).clone())
        self.register_buffer('std', (std if std is not None else torch.ones(3, 1, 1))
                             .detach().float().reshape(1, -1, 1, 1).clone())
        # in-graph normalization as one 1x1 conv: out[c] = (in[perm[c]] - mean[c]) / std[c]
        num = self.mean.numel()
        perm = list(range(num))[::-1] if self.bgr_to_rgb else list(range(num))
        weight = torch.zeros(num, num, 1, 1)
        for c, src in enumerate(perm):
            weight[c, src] = 1.0 / self.std.flatten()[c]
        self.register_buffer('norm_weight', weight)
        self.register_buffer('norm_bias', -(self.mean / self.std).flatten())
        self.decoder = None if self.decodes_maps else SoftArgmaxDecoder(
            self._heatmap_size(), self.input_size, beta=getattr(head, 'beta', 1.0),
            codec=self._codec(head))

    def _codec(self, head: nn.Module) -> SoftArgmaxLabel:
        """The head's decoding (its codec's ``score_scale`` and ``eps``) at this input size."""
        codec = getattr(head, 'decoder', None)
        if isinstance(codec, SoftArgmaxLabel):
            return SoftArgmaxLabel(self.input_size, score_scale=codec.score_scale,
                                   eps=codec.eps)
        return SoftArgmaxLabel(self.input_size, score_scale=getattr(head, 'score_scale', 4.0))

    def _heatmap_size(self) -> Tuple[int, int]:
        """``(W, H)`` of the head's logit maps for one crop (a dry run in eval mode)."""
        training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                dummy = self.mean.new_zeros(1, self.mean.numel(), self.input_size[1],
                                            self.input_size[0])
                logits = self.model.head.forward_logits(self.model.extract_feat(dummy))
        finally:
            self.model.train(training)
        return int(logits.shape[-1]), int(logits.shape[-2])

    def spec(self) -> OnnxInputSpec:
        """The :class:`OnnxInputSpec` of this wrapper."""
        return OnnxInputSpec(input_size=self.input_size,
                             mean=[float(v) for v in self.mean.flatten()],
                             std=[float(v) for v in self.std.flatten()],
                             bgr_to_rgb=self.bgr_to_rgb,
                             normalize_in_graph=self.normalize_in_graph,
                             num_keypoints=int(self.model.head.num_keypoints),
                             output_heatmaps=self.output_heatmaps)

    def forward(self, image: Tensor) -> Tuple[Tensor, ...]:
        """Coordinates and scales in input pixels.

        Args:
            image (Tensor): (B, 3, H, W), normalized (or raw BGR with ``normalize_in_graph``).

        Returns:
            tuple[Tensor]: ``coords`` (B, K, 2), ``scales`` (B, K, 2) and, with
            ``output_heatmaps``, ``heatmaps`` (B, K, h, w).
        """
        if self.normalize_in_graph:
            image = F.conv2d(image, self.norm_weight, self.norm_bias)
        feats = self.model.extract_feat(image)
        if self.decodes_maps:
            keypoints, scales, _ = self.model.head.forward_decoded(feats)
            return keypoints, scales
        if not self.output_heatmaps:
            return self.decoder(self.model.head.forward_logits(feats))
        coords, scales, heatmaps = self.model.head.forward_moments(feats)
        size = self.decoder.heatmap_size
        coords, scales, _ = self.decoder.codec.decode_moments(
            coords * coords.new_tensor([float(size[0]), float(size[1])]), scales, size)
        return coords, scales, heatmaps


SoftArgmaxOnnxWrapper = LandmarkOnnxWrapper  # the name before PIPHead could be exported


def load_pose_model(config: Union[str, Config], checkpoint: Optional[str] = None,
                    cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a pose estimator on the CPU in eval mode (MMPose's ``init_model``)."""
    from mmpose.apis import init_model

    import mmlaplace  # noqa: F401  (registers modules and the checkpoint loader)
    if isinstance(config, (str, os.PathLike)) and not osp.isfile(config):
        raise FileNotFoundError(f'config file {config} not found')
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint file {checkpoint} not found')
    return init_model(config, checkpoint, device='cpu', cfg_options=cfg_options).eval()


def model_input_size(model: nn.Module) -> Tuple[int, int]:
    """The crop size ``(W, H)``: the head's codec, else the config's ``codec`` / pipeline."""
    decoder = getattr(model.head, 'decoder', None)
    if decoder is not None and hasattr(decoder, 'input_size'):
        return tuple(int(v) for v in decoder.input_size)
    cfg = getattr(model, 'cfg', None)
    if cfg is not None:
        for step in cfg.get('test_dataloader', {}).get('dataset', {}).get('pipeline', []):
            if step.get('type') == 'TopdownAffine':
                return tuple(int(v) for v in step['input_size'])
    raise ValueError('cannot tell the model input size: set model.head.decoder (a codec with '
                     'input_size) or pass input_size')


def export_onnx(model: nn.Module, out_file: str, input_size: Optional[Sequence[int]] = None,
                normalize_in_graph: bool = False, output_heatmaps: bool = False,
                opset: int = 17) -> OnnxInputSpec:
    """Export to ONNX with a dynamic batch axis and check the file with ``onnx.checker``.

    Args:
        model (nn.Module): Pose estimator with :class:`SoftArgmaxHead` or :class:`PIPHead`
            (eval mode is set).
        out_file (str): Output ``.onnx`` path.
        input_size (Sequence[int], optional): ``(W, H)``; default from the model's codec.
        normalize_in_graph (bool): Include BGR->RGB and mean/std in the graph.
        output_heatmaps (bool): Also output the heatmaps.
        opset (int): ONNX opset, at least 17. Defaults to 17.

    Returns:
        OnnxInputSpec: How to feed the graph (also stored in its metadata).
    """
    import onnx
    if opset < 17:
        raise ValueError(f'export_onnx: opset must be >= 17, got {opset}')
    size = tuple(input_size) if input_size is not None else model_input_size(model)
    wrapper = LandmarkOnnxWrapper(model.eval(), size, normalize_in_graph,
                                    output_heatmaps).eval()
    spec = wrapper.spec()
    names = ['coords', 'scales'] + (['heatmaps'] if output_heatmaps else [])
    dummy = torch.zeros(2, 3, size[1], size[0])
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # TorchScript exporter deprecation / tracer notes
        torch.onnx.export(wrapper, (dummy, ), out_file, dynamo=False, opset_version=opset,
                          input_names=['image'], output_names=names,
                          dynamic_axes={n: {0: 'batch'} for n in ['image'] + names},
                          do_constant_folding=True)
    proto = onnx.load(out_file)
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, spec.to_json()
    proto.doc_string = ('mmlaplace SoftArgmaxHead model: image (B, 3, H, W) -> coords, scales '
                        '(B, K, 2) in input pixels; input spec in metadata '
                        f'"{METADATA_KEY}"')
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, out_file)
    MMLogger.get_current_instance().info(
        f'exported {out_file} (opset {opset}, input (B, 3, {size[1]}, {size[0]}), '
        f'{"raw BGR 0..255" if normalize_in_graph else "normalized"} input)')
    return spec


def onnx_session(onnx_file: str, num_threads: Optional[int] = None):
    """An ONNX Runtime CPU session (``num_threads`` intra-op threads)."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    if num_threads:
        options.intra_op_num_threads = num_threads
    return ort.InferenceSession(onnx_file, options, providers=['CPUExecutionProvider'])


@torch.no_grad()
def compare_with_pytorch(model: nn.Module, onnx_file: str, inputs: np.ndarray
                         ) -> Dict[str, float]:
    """Largest absolute difference per output between ONNX Runtime and PyTorch.

    Args:
        model (nn.Module): The exported pose estimator.
        onnx_file (str): The exported file.
        inputs (np.ndarray): Graph inputs (B, 3, H, W) float32 (see the file's spec).

    Returns:
        dict[str, float]: ``{output name: max |onnx - torch|}``.
    """
    spec = OnnxInputSpec.from_onnx(onnx_file)
    wrapper = LandmarkOnnxWrapper(model.eval(), spec.input_size, spec.normalize_in_graph,
                                    spec.output_heatmaps).eval()
    expected = [t.numpy() for t in wrapper(torch.from_numpy(np.asarray(inputs, np.float32)))]
    session = onnx_session(onnx_file)
    got = session.run(None, {'image': np.asarray(inputs, np.float32)})
    names = [o.name for o in session.get_outputs()]
    return {n: float(np.abs(g - e).max()) for n, g, e in zip(names, got, expected)}
