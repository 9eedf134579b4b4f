"""Every config's val and test evaluators build; the test ones report the face metrics."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope

import mmlaplace  # noqa: F401
from mmlaplace.evaluation import FaceAlignmentMetric

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
CONFIGS = sorted(p for p in CONFIG_ROOT.rglob('*.py') if '_base_' not in p.parts)


@pytest.mark.parametrize('config', CONFIGS, ids=lambda p: p.stem)
def test_config_evaluators_build(config: Path):
    cfg = Config.fromfile(str(config))
    init_default_scope('mmpose')
    val = Evaluator(cfg.val_evaluator)
    assert type(val.metrics[0]).__name__ == 'NME', 'save_best=NME needs MMPose NME in val'
    test = Evaluator(cfg.test_evaluator)
    face = [m for m in test.metrics if isinstance(m, FaceAlignmentMetric)]
    assert len(face) == 1
    if 'aflw' in config.stem:
        assert face[0].norm_mode == 'box_size'
    else:
        assert face[0].norm_mode == 'inter_ocular'
        assert {'common', 'challenge'} <= set(face[0].subsets)
    if cfg.model.get('test_cfg', {}).get('output_heatmaps', False):
        assert any(type(m).__name__ == 'HeatmapSpread' for m in test.metrics)
