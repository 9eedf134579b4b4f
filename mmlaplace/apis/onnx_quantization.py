"""Static int8 quantization (QDQ) of an exported model with ONNX Runtime.

The convolutions are quantized with uint8 activations (asymmetric, MinMax calibration) and
int8 weights per output channel: the u8s8 kernels of ONNX Runtime's MLAS (AVX2 / AVX-512
VNNI), about 1.2x faster than int8 activations for RCN-1/8 here. ONNX Runtime fuses the
quantize / dequantize pairs around the LeakyReLUs and max-pools into 8-bit kernels. Kept in
float32:

- the soft-argmax decoding (softmax over the heatmap, marginals, moments): landmark
  coordinates are sums over thousands of small probabilities that 8 bits cannot represent;
- concatenations: an 8-bit concat shares one scale between the skip and the upsampled
  branch, which doubled the coordinate error on the 300W faces for no speed gain;
- convolutions over at most :data:`MIN_INT8_CHANNELS` input channels (the in-graph input
  normalization and a first 3-channel conv), with the activation that follows them: their
  int8 kernels pad the channels and run slower than float32.
"""
import os
import os.path as osp
import tempfile
from typing import List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger

from .onnx_export import METADATA_KEY

QUANTIZED_OPS = ('Conv', 'ConvTranspose', 'Gemm')

#: Convolutions with at most this many input channels stay float32 (see the module doc).
MIN_INT8_CHANNELS = 3


def float_nodes(model) -> List[str]:
    """Names of the nodes kept in float32: narrow-input convs and the activation after them.

    Args:
        model (onnx.ModelProto): The float model.

    Returns:
        list[str]: Node names for ``quantize_static(nodes_to_exclude=...)``.
    """
    weights = {t.name: tuple(t.dims) for t in model.graph.initializer}
    consumers = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    names = []
    for node in model.graph.node:
        shape = weights.get(node.input[1]) if node.op_type == 'Conv' and \
            len(node.input) > 1 else None
        if shape is None or len(shape) < 2 or shape[1] > MIN_INT8_CHANNELS:
            continue
        names.append(node.name)
        after = consumers.get(node.output[0], [])
        if len(after) == 1 and after[0].op_type in ('LeakyRelu', 'Relu'):
            names.append(after[0].name)
    return names


def _array_reader(inputs: np.ndarray, batch_size: int):
    """An ONNX Runtime ``CalibrationDataReader`` over an array of graph inputs."""
    from onnxruntime.quantization import CalibrationDataReader

    class ArrayReader(CalibrationDataReader):

        def __init__(self):
            self.batches = [inputs[i:i + batch_size] for i in range(0, len(inputs), batch_size)]
            self.index = 0

        def get_next(self) -> Optional[dict]:
            if self.index >= len(self.batches):
                return None
            self.index += 1
            return {'image': np.ascontiguousarray(self.batches[self.index - 1], np.float32)}

        def rewind(self) -> None:
            self.index = 0

    return ArrayReader()


def quantize_int8(onnx_file: str, out_file: str, calibration_inputs: np.ndarray,
                  batch_size: int = 16, per_channel: bool = True,
                  op_types: Sequence[str] = QUANTIZED_OPS) -> str:
    """Quantize a float ONNX model to 8 bits (QDQ, MinMax calibration; see the module doc).

    Args:
        onnx_file (str): Float model from :func:`export_onnx`.
        out_file (str): Output ``.onnx`` path.
        calibration_inputs (np.ndarray): Graph inputs (N, 3, H, W) float32, fed exactly as
            at inference (see :meth:`OnnxInputSpec.preprocess`); a few hundred face crops.
        batch_size (int): Calibration batch size. Defaults to 16.
        per_channel (bool): Per-output-channel weight scales. Defaults to True.
        op_types (Sequence[str]): Operator types to quantize.

    Returns:
        str: ``out_file``.
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    calibration_inputs = np.asarray(calibration_inputs, np.float32)
    if calibration_inputs.ndim != 4 or len(calibration_inputs) == 0:
        raise ValueError('quantize_int8: calibration_inputs must be a non-empty (N, 3, H, W) '
                         f'array, got shape {calibration_inputs.shape}')
    reader = _array_reader(calibration_inputs, batch_size)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        prepared = osp.join(tmp, 'prepared.onnx')
        quant_pre_process(onnx_file, prepared, skip_symbolic_shape=True)
        excluded = float_nodes(onnx.load(prepared, load_external_data=False))
        quantize_static(prepared, out_file, reader, quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=list(op_types), per_channel=per_channel,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax,
                        nodes_to_exclude=excluded,
                        extra_options=dict(ActivationSymmetric=False, WeightSymmetric=True))
    # keep the input spec of the float model
    source = onnx.load(onnx_file, load_external_data=False)
    proto = onnx.load(out_file)
    keys = {p.key for p in proto.metadata_props}
    for prop in source.metadata_props:
        if prop.key == METADATA_KEY and prop.key not in keys:
            entry = proto.metadata_props.add()
            entry.key, entry.value = prop.key, prop.value
    onnx.checker.check_model(proto)
    onnx.save(proto, out_file)
    MMLogger.get_current_instance().info(
        f'int8 model {out_file} calibrated on {len(calibration_inputs)} crops')
    return out_file
