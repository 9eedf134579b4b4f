import numpy as np
import pytest
import torch
from mmpose.registry import METRICS

import mmlaplace  # noqa: F401
from mmlaplace.evaluation import HeatmapSpread, heatmap_spread
from mmlaplace.models.utils import render_target_heatmaps


def test_one_hot_has_zero_spread():
    hm = torch.zeros(3, 9, 7)
    hm[:, 4, 3] = 1
    torch.testing.assert_close(heatmap_spread(hm), torch.zeros(3))


def test_two_points_closed_form():
    hm = torch.zeros(1, 1, 5, 9)
    hm[0, 0, 2, 1] = 0.5
    hm[0, 0, 2, 7] = 0.5  # mean at x = 4, each half 3 px away
    torch.testing.assert_close(heatmap_spread(hm), torch.tensor([[3.0]]))


def test_wider_laplace_spreads_more():
    centre = torch.full((1, 1, 2), 32.0)
    narrow = render_target_heatmaps(centre, (64, 64), scale=1.0)
    wide = render_target_heatmaps(centre, (64, 64), scale=3.0)
    assert heatmap_spread(wide) > 2 * heatmap_spread(narrow)


def test_metric_averages_visible_landmarks_and_requires_heatmaps():
    metric = METRICS.build(dict(type='HeatmapSpread'))
    assert isinstance(metric, HeatmapSpread)
    hm = torch.zeros(2, 5, 5)
    hm[0, 2, 2] = 1
    hm[1, 0, 0] = hm[1, 0, 4] = 0.5  # spread 2, but invisible
    sample = dict(pred_fields=dict(heatmaps=hm),
                  gt_instances=dict(keypoints_visible=np.array([[1.0, 0.0]])))
    metric.process([], [sample])
    assert metric.compute_metrics(metric.results) == {'heatmap_spread': 0.0}
    with pytest.raises(KeyError, match='output_heatmaps'):
        metric.process([], [dict(gt_instances=sample['gt_instances'])])
