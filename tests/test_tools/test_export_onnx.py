"""tools/export_onnx.py: export + check, int8 from a folder of crops, NME of all three.

``main(argv)`` runs in-process (the command line's parser; no 30 s subprocess import).
"""
import json

import onnx
import pytest
import torch
from mmengine.runner import save_checkpoint
from mmpose.apis import init_model

import mmlaplace  # noqa: F401

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

CONFIG = 'configs/laplacekl/laplacekl_rcn-w1-16_1xb32-200e_300w-80x80.py'


@pytest.fixture(scope='module')
def export_tool(load_tool):
    return load_tool('export_onnx.py')


def test_export_int8_and_eval(export_tool, repo_root, face_samples_300w, tmp_path, capsys,
                              one_thread):
    config = tmp_path / 'rcn_samples.py'
    config.write_text(f"_base_ = ['{repo_root / CONFIG}']\n"
                      "test_dataloader = dict(dataset=dict(data_prefix=dict(img='')))\n")
    torch.manual_seed(0)
    model = init_model(str(config), None, device='cpu')
    ckpt = tmp_path / 'rcn.pth'
    save_checkpoint(dict(state_dict=model.state_dict()), str(ckpt))
    out = tmp_path / 'export' / 'rcn.onnx'
    export_tool.main([str(config), str(ckpt), '--out', str(out), '--int8', '--calib-folder',
                      str(face_samples_300w), '--calib-num', '2', '--eval', '--data-root',
                      str(face_samples_300w), '--test-ann-file', 'test_300w.json'])
    log = capsys.readouterr().out
    assert 'max |onnxruntime - pytorch|' in log and 'calibrated on 2 crops' in log
    onnx.checker.check_model(onnx.load(str(out)))
    assert (tmp_path / 'export' / 'rcn_int8.onnx').is_file()
    report = json.loads((tmp_path / 'export' / 'rcn_eval.json').read_text())
    assert report['pytorch']['num_samples'] == report['onnx_int8']['num_samples'] == 2
    assert report['onnx_fp32']['NME'] == pytest.approx(report['pytorch']['NME'], rel=1e-4)
    assert 0 < report['onnx_int8']['NME'] < 10


def test_missing_checkpoint_is_named(export_tool, repo_root, tmp_path):
    with pytest.raises(FileNotFoundError, match='none.pth'):
        export_tool.main([str(repo_root / CONFIG), str(tmp_path / 'none.pth'), '--out',
                          str(tmp_path / 'a.onnx')])
