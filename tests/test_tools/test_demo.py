"""The main job end to end at a tiny size: data, training, NME on two splits, pictures."""
import json
import math
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts subprocesses or runs training (make test-fast skips)


def test_demo_tiny(tmp_path: Path, tool):
    work, data = tmp_path / 'demo', tmp_path / 'data'
    tool('demo.py', ['--work-dir', str(work), '--data-root', str(data), '--epochs', '1',
                     '--batch-size', '8', '--num-train', '16', '--num-test', '4',
                     '--num-test-hard', '4', '--num-unlabeled', '2', '--num-pictures', '2',
                     '--workers', '0'])
    summary = json.loads((work / 'metrics.json').read_text())
    assert set(summary['nme']) == {'test', 'test_hard'}
    assert all(math.isfinite(v) and v > 0 for v in summary['nme'].values())
    assert (work / 'epoch_1.pth').is_file()
    for picture in summary['pictures']:
        assert Path(picture).stat().st_size > 10_000  # a real figure, not an empty file
    assert (data / 'annotations' / 'face_landmarks_synthetic_test_hard.json').is_file()
