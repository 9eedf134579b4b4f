"""Layering: registering mmlaplace (what every config does) loads no inference / ONNX code."""
import os
import subprocess
import sys

import pytest

CHECK = r'''
import sys
def loaded():
    return sorted(m for m in sys.modules
                  if m == 'mmlaplace.apis' or m.startswith('mmlaplace.apis.')
                  or m.split('.')[0] in ('onnx', 'onnxruntime'))
import mmlaplace
assert not loaded(), ('import mmlaplace', loaded())
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import HOOKS
from mmlaplace.engine.hooks import LandmarkUncertaintyVisualizationHook
cfg = Config.fromfile('configs/laplacekl/laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py')
init_default_scope('mmpose')
import tempfile
from mmpose.registry import VISUALIZERS
VISUALIZERS.build(dict(cfg.visualizer, name='layering', save_dir=tempfile.mkdtemp()))
hooks = [HOOKS.build(dict(h)) for h in list(cfg.default_hooks.values())
         + list(cfg.get('custom_hooks', []))]
hooks.append(HOOKS.build(dict(type='LandmarkUncertaintyVisualizationHook', enable=True)))
assert isinstance(hooks[-1], LandmarkUncertaintyVisualizationHook)
assert not loaded(), ('config hooks', loaded())
print('ok', len(hooks))
'''


@pytest.mark.slow
def test_import_and_config_hooks_load_no_apis_and_no_onnx(repo_root):
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([str(repo_root), os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, '-c', CHECK], cwd=repo_root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert proc.stdout.startswith('ok'), proc.stdout
