"""The package imports, registers its modules and checks the OpenMMLab versions."""
import pickle

import numpy as np
import pytest
import torch
from mmpose.registry import DATASETS, MODELS, TRANSFORMS

import mmlaplace
from mmlaplace.utils import version_check


def test_version():
    assert mmlaplace.__version__.count('.') == 2


@pytest.mark.parametrize('name', ['RCN', 'SoftArgmaxHead', 'LaplaceKLLoss', 'GaussianKLLoss',
                                  'SoftArgmaxLoss'])
def test_models_registered(name):
    assert MODELS.get(name) is not None, f'{name} is not registered in mmpose MODELS'


def test_transforms_registered():
    assert TRANSFORMS.get('PackFaceInputs') is not None


def test_mmpose_datasets_still_there():
    assert DATASETS.get('Face300WDataset') is not None


def test_version_check_names_supported_range(monkeypatch):
    monkeypatch.setattr(version_check, 'version',
                        lambda name: '9.9.9' if name == 'mmpose' else '2.1.0'
                        if name == 'mmcv' else '0.10.7')
    with pytest.raises(ImportError, match=r'mmpose==9\.9\.9 .*1\.1\.0 <= mmpose < 1\.4\.0'):
        version_check.check_versions()


def test_version_check_missing_package(monkeypatch):
    def fake_version(name):
        if name == 'mmcv':
            raise version_check.PackageNotFoundError(name)
        return '1.3.2' if name == 'mmpose' else '0.10.7'

    monkeypatch.setattr(version_check, 'version', fake_version)
    with pytest.raises(ImportError, match='mmcv is not installed'):
        version_check.check_versions()


def _mmengine_like_checkpoint(path):
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(1.5)
    torch.save({'hub': buf, 'meta': {'sigmas': np.arange(3.0), 'x': np.float64(2.0)}}, path)


def test_mmengine_checkpoint_loads_through_mmengine(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'ckpt.pth'
    _mmengine_like_checkpoint(path)
    state = _load_checkpoint(str(path), map_location='cpu')
    assert state['hub'].current() == 1.5
    assert state['meta']['x'] == 2.0


def test_allow_list_is_scoped_to_mmengine_loader(tmp_path):
    """A plain torch.load elsewhere keeps torch's weights-only defaults."""
    path = tmp_path / 'ckpt.pth'
    _mmengine_like_checkpoint(path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)


class _Evil:
    def __reduce__(self):
        return (print, ('arbitrary code',))


def test_mmengine_loader_still_refuses_other_globals(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'evil.pth'
    torch.save({'x': _Evil()}, path)
    with pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(str(path), map_location='cpu')


def test_truncated_checkpoint_names_the_file(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'trunc.pth'
    torch.save({'state_dict': {'w': torch.ones(1000)}}, path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(RuntimeError, match='trunc.pth'):
        _load_checkpoint(str(path), map_location='cpu')
