"""tools/benchmark_video.py at tiny scale: a complete report, no timing asserted."""
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # tracks rendered sequences with a zoo model


def test_benchmark_video_report(load_tool, tmp_path: Path, one_thread):
    tool = load_tool('benchmark_video.py')
    report = tool.main(['rcn-w1-8', '--num-frames', '16', '--speed-rounds', '1',
                        '--out-dir', str(tmp_path)])
    data = json.loads((tmp_path / 'video.json').read_text())
    assert data['results'] == json.loads(json.dumps(report['results']))
    filters = set(data['filters'])
    assert {'none', 'one-euro (default)', 'one-euro (best RMSE)', 'kalman', 'kalman-affine',
            'one-euro (lag of kalman)', 'one-euro (lag of kalman-affine)'} == filters
    for per_seq in data['results'].values():
        assert set(per_seq) == {'still', 'moving', 'occluded'}
        assert per_seq['still']['tracked'] == 1.0  # Haar found the face, the track held
        assert per_seq['moving']['lag'] >= 0
        assert per_seq['occluded']['rmse_occluded'] > 0
    # the raw filter is the model itself: every filter sees the same measurements
    assert data['results']['none']['still']['rmse'] > 0
    assert len(data['ratios']) == 13 and all(isinstance(r['met'], bool) for r in data['ratios'])
    assert data['speed']['tracking'] > 0 and data['detections']['still'] == 1
    for png in ('trajectory.png', 'trajectory_occluded.png'):
        assert (tmp_path / png).stat().st_size > 10_000
    assert '| kalman-affine |' in (tmp_path / 'video.md').read_text()
