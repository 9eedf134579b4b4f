"""ONNX export: ONNX Runtime matches PyTorch (RCN and an MMPose ResNet), dynamic batch, int8."""
import json

import numpy as np
import onnx
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS

from mmlaplace.apis.face_crops import build_crop_dataset
from mmlaplace.apis.onnx_evaluation import evaluate_nme, onnx_predictor, torch_predictor
from mmlaplace.apis.onnx_export import (
    OnnxInputSpec,
    compare_with_pytorch,
    export_onnx,
    load_pose_model,
    onnx_session,
)
from mmlaplace.apis.onnx_quantization import float_nodes, quantize_int8

PREPROCESSOR = dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                    std=[58.395, 57.12, 57.375], bgr_to_rgb=True)


@pytest.fixture(scope='module')
def rcn(tiny_config, tiny_checkpoint):
    return load_pose_model(tiny_config, tiny_checkpoint)


@pytest.fixture(scope='module')
def rcn_onnx(rcn, tmp_path_factory):
    path = str(tmp_path_factory.mktemp('onnx') / 'rcn.onnx')
    spec = export_onnx(rcn, path, output_heatmaps=True)
    return path, spec


def _crops(n: int, size=(80, 80), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 3, size[1], size[0]), np.uint8)


def test_rcn_matches_pytorch_and_batch_is_dynamic(rcn, rcn_onnx, one_thread):
    path, spec = rcn_onnx
    assert spec == OnnxInputSpec.from_onnx(path)
    assert spec.input_size == (80, 80) and spec.num_keypoints == 68 and spec.bgr_to_rgb
    proto = onnx.load(path)
    assert max(op.version for op in proto.opset_import if op.domain in ('', 'ai.onnx')) >= 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == 'batch'
    diffs = compare_with_pytorch(rcn, path, spec.preprocess(_crops(3)))
    assert set(diffs) == {'coords', 'scales', 'heatmaps'}
    assert max(diffs.values()) < 1e-4, diffs
    session = onnx_session(path)
    for batch in (1, 5):
        coords, scales, heatmaps = session.run(None, {'image': spec.preprocess(_crops(batch))})
        assert coords.shape == scales.shape == (batch, 68, 2)
        assert heatmaps.shape == (batch, 68, 80, 80)
        np.testing.assert_allclose(heatmaps.sum((-1, -2)), 1, atol=1e-4)


def test_normalization_in_graph_equals_external(rcn, rcn_onnx, tmp_path, one_thread):
    path, spec = rcn_onnx
    raw_path = str(tmp_path / 'raw.onnx')
    raw_spec = export_onnx(rcn, raw_path, normalize_in_graph=True)
    crops = _crops(2, seed=1)
    raw = raw_spec.preprocess(crops)
    assert raw.max() > 100  # raw BGR values go in
    ours = onnx_session(raw_path).run(['coords', 'scales'], {'image': raw})
    ref = onnx_session(path).run(['coords', 'scales'], {'image': spec.preprocess(crops)})
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, atol=1e-4)
    assert max(compare_with_pytorch(rcn, raw_path, raw).values()) < 1e-4


def test_coordinate_graph_is_lean_and_exact_at_any_size(rcn, tmp_path, one_thread):
    """No shape arithmetic: constant Resize scales and reshapes, decoding by MatMuls."""
    path = str(tmp_path / 'lean.onnx')
    spec = export_onnx(rcn, path, normalize_in_graph=True)
    ops = [node.op_type for node in onnx.load(path).graph.node]
    assert ops.count('Resize') == 4 and ops.count('Softmax') == 1
    assert not {'Shape', 'Gather', 'LogSoftmax', 'Exp'} & set(ops), sorted(set(ops))
    x = spec.preprocess(_crops(2, seed=4))
    assert max(compare_with_pytorch(rcn, path, x).values()) < 1e-4
    # 72 x 72: the last max-pool floors (9 -> 4), so one upsampling goes to a size, not x2
    odd = str(tmp_path / 'odd.onnx')
    spec = export_onnx(rcn, odd, input_size=(72, 72), normalize_in_graph=True)
    assert max(compare_with_pytorch(rcn, odd, spec.preprocess(_crops(2, (72, 72)))).values()
               ) < 1e-4


def test_mmpose_resnet_backbone(tmp_path, one_thread):
    init_default_scope('mmpose')
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='TopdownPoseEstimator', data_preprocessor=PREPROCESSOR,
        backbone=dict(type='ResNet', depth=18, base_channels=16, stem_channels=16),
        head=dict(type='SoftArgmaxHead', in_channels=128, num_keypoints=5,
                  heatmap_size=(16, 16), decoder=dict(type='RegressionLabel',
                                                      input_size=(64, 64)))))
    path = str(tmp_path / 'resnet18.onnx')
    spec = export_onnx(model, path)
    assert spec.input_size == (64, 64) and spec.num_keypoints == 5
    diffs = compare_with_pytorch(model, path, spec.preprocess(_crops(3, (64, 64))))
    assert max(diffs.values()) < 1e-4, diffs
    coords, scales = onnx_session(path).run(None, {'image': spec.preprocess(
        _crops(1, (64, 64)))})
    assert coords.shape == scales.shape == (1, 5, 2)
    assert ((coords >= 0) & (coords < 64)).all()


@pytest.mark.parametrize('neighbors', [[[1, 2], [0, 2], [1, 3], [2, 4], [3, 2]], None])
def test_pip_head_decoding_in_the_graph(neighbors, tmp_path, one_thread):
    """PIPHead: argmax cells, gathered offsets and merged votes in ONNX = PyTorch predict."""
    init_default_scope('mmpose')
    torch.manual_seed(0)
    decoder = dict(type='PIPLabel', input_size=(64, 64), heatmap_size=(2, 2),
                   neighbor_indices=neighbors)
    model = MODELS.build(dict(
        type='TopdownPoseEstimator', data_preprocessor=PREPROCESSOR,
        backbone=dict(type='ResNet', depth=18, base_channels=16, stem_channels=16),
        head=dict(type='PIPHead', in_channels=128, num_keypoints=5, decoder=decoder,
                  init_cfg=None)))
    path = str(tmp_path / 'pip.onnx')
    crops = _crops(3, (64, 64))
    for normalize_in_graph in (True, False):
        spec = export_onnx(model, path, normalize_in_graph=normalize_in_graph)
        diffs = compare_with_pytorch(model, path, spec.preprocess(crops))
        assert max(diffs.values()) < 1e-4, diffs
    inputs = spec.preprocess(crops)  # normalized as the data preprocessor does
    coords, scales = onnx_session(path).run(None, {'image': inputs})
    with torch.no_grad():
        expected, expected_scales, _ = model.head.forward_decoded(
            model.extract_feat(torch.from_numpy(inputs)))
    np.testing.assert_allclose(coords, expected.numpy(), atol=1e-4)
    np.testing.assert_allclose(scales, expected_scales.numpy(), atol=1e-4)
    assert coords.shape == scales.shape == (3, 5, 2) and (scales > 0).all()
    with pytest.raises(ValueError, match='no heatmaps'):
        export_onnx(model, path, output_heatmaps=True)


def test_int8_model_runs_close_to_fp32(rcn_onnx, tmp_path, one_thread):
    path, spec = rcn_onnx
    int8 = quantize_int8(path, str(tmp_path / 'rcn_int8.onnx'),
                         spec.preprocess(_crops(16, seed=2)), batch_size=8)
    ops = {node.op_type for node in onnx.load(int8).graph.node}
    assert {'QuantizeLinear', 'DequantizeLinear'} <= ops
    # the 3 -> C first conv stays float32 (int8 kernels pad narrow inputs), with its LeakyReLU
    kept = float_nodes(onnx.load(path))
    assert kept == ['/backbone/encoder.0/encoder.0.0/Conv',
                    '/backbone/encoder.0/encoder.0.1/LeakyRelu'], kept
    quantized = {n.name for n in onnx.load(int8).graph.node if n.op_type == 'QuantizeLinear'}
    assert not any(name.startswith('/backbone/encoder.0/encoder.0.0/Conv_output')
                   for name in quantized)
    assert OnnxInputSpec.from_onnx(int8) == spec
    x = spec.preprocess(_crops(3, seed=3))
    q_coords, q_scales = onnx_session(int8).run(['coords', 'scales'], {'image': x})
    f_coords, f_scales = onnx_session(path).run(['coords', 'scales'], {'image': x})
    assert q_coords.shape == (3, 68, 2) and np.isfinite(q_coords).all()
    assert np.abs(q_coords - f_coords).mean() < 2.0  # input pixels of an 80 x 80 crop
    assert np.abs(q_scales / f_scales - 1).mean() < 0.2


def test_export_errors(rcn, tmp_path):
    with pytest.raises(ValueError, match='opset must be >= 17'):
        export_onnx(rcn, str(tmp_path / 'a.onnx'), opset=16)
    heatmap_model = MODELS.build(dict(
        type='TopdownPoseEstimator', data_preprocessor=PREPROCESSOR,
        backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8),
        head=dict(type='HeatmapHead', in_channels=64, out_channels=5, deconv_out_channels=None)))
    with pytest.raises(TypeError, match='SoftArgmaxHead'):
        export_onnx(heatmap_model, str(tmp_path / 'b.onnx'), input_size=(64, 64))
    plain = str(tmp_path / 'plain.onnx')
    export_onnx(rcn, plain)
    proto = onnx.load(plain)
    del proto.metadata_props[:]
    onnx.save(proto, plain)
    with pytest.raises(KeyError, match='mmlaplace_input_spec'):
        OnnxInputSpec.from_onnx(plain)


def test_onnx_nme_equals_pytorch_on_real_samples(rcn, rcn_onnx, face_samples_300w, tmp_path,
                                                 one_thread):
    path, spec = rcn_onnx
    cfg = rcn.cfg.copy()
    cfg.test_dataloader.dataset.data_prefix = dict(img='')
    dataset = build_crop_dataset(cfg, 'test', data_root=str(face_samples_300w),
                                 ann_file='test_300w.json')
    ours = evaluate_nme(onnx_predictor(path), dataset)
    ref = evaluate_nme(torch_predictor(rcn, spec), dataset)
    assert ours['num_samples'] == 2
    assert ours['NME'] == pytest.approx(ref['NME'], rel=1e-4)
    assert 0 < ours['NME'] < 10
    json.dumps(ours)
