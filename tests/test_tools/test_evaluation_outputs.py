"""tools/test.py --out on MMPose's real 300W samples: face metrics, per-face JSON, CED plot."""
import json
import pickle
from pathlib import Path

import matplotlib.image as mpimg
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.evaluation.metrics import NME
from mmpose.registry import MODELS

import mmlaplace  # noqa: F401

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)

CONFIG = """
_base_ = ['{base}']
data_root = '{root}/'
_data = dict(data_root=data_root, ann_file='test_300w.json', data_prefix=dict(img=''))
test_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=_data)
"""


def test_test_tool_writes_face_metrics(tmp_path: Path, repo_root: Path,
                                       face_samples_300w: Path, tool):
    base = repo_root / 'configs' / 'laplacekl' / 'laplacekl_rcn-w1-16_1xb32-200e_300w-80x80.py'
    config = tmp_path / 'rcn_300w_samples.py'
    config.write_text(CONFIG.format(base=base, root=face_samples_300w))
    init_default_scope('mmpose')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    ckpt = tmp_path / 'random.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)

    out = tmp_path / 'results' / 'm.json'
    dump = tmp_path / 'preds.pkl'
    tool('test.py', [str(config), str(ckpt), '--work-dir', str(tmp_path / 'work'),
                     '--out', str(out), '--dump', str(dump)])
    metrics = json.loads(out.read_text())
    for key in ('NME', 'FR@8', 'AUC@8', 'FR@10', 'AUC@10', 'scale_error_spearman',
                'heatmap_spread', 'indoor/NME'):
        assert key in metrics, f'{key} missing from {sorted(metrics)}'
    assert not any(k.startswith(('common/', 'challenge/')) for k in metrics)
    assert metrics['indoor/NME'] == pytest.approx(metrics['NME'])

    # the NME is MMPose's on the same predictions
    with open(dump, 'rb') as f:
        samples = pickle.load(f)
    nme = NME(norm_mode='keypoint_distance')
    nme.dataset_meta = dict(dataset_name='300w')
    nme.process([], samples)
    assert metrics['NME'] == pytest.approx(nme.compute_metrics(nme.results)['NME'], rel=1e-6)

    per_sample = json.loads((tmp_path / 'results' / 'm_per_sample.json').read_text())
    assert per_sample['num_faces'] == {'full': 2, 'indoor': 2}
    assert sorted(Path(s['img_path']).name for s in per_sample['samples']) == \
        ['indoor_020.png', 'indoor_029.png']
    mean = sum(s['nme'] for s in per_sample['samples']) / 2  # all 68 landmarks visible
    assert mean == pytest.approx(metrics['NME'], rel=1e-6)
    assert mpimg.imread(str(tmp_path / 'results' / 'm_ced.png')).ndim == 3
