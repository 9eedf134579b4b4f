"""PIPLabel: the paper's worked example, exact inversion, vote merging, scales, bad input."""
import numpy as np
import pytest
import torch

import mmlaplace  # noqa: F401
from mmlaplace.codecs import PIPLabel
from mmlaplace.datasets.converters.mean_shape import mean_shape, nearest_neighbors


def _maps_from_targets(codec: PIPLabel, targets, num_keypoints: int):
    """Noise-free head maps: each target value written at its positive cell, 0 elsewhere."""
    w, h = codec.heatmap_size
    b = targets.offsets.shape[0]
    c = codec.num_neighbors
    scores = targets.scores.clone()
    offsets = torch.zeros(b, num_keypoints, 2, h, w, dtype=targets.offsets.dtype)
    neighbors = torch.zeros(b, num_keypoints, c, 2, h, w, dtype=targets.offsets.dtype)
    for i in range(b):
        for k in range(num_keypoints):
            y, x = divmod(int(targets.cell_index[i, k]), w)
            offsets[i, k, :, y, x] = targets.offsets[i, k]
            neighbors[i, k, :, :, y, x] = targets.neighbor_offsets[i, k]
    return scores, offsets, neighbors


def test_worked_example_of_the_paper():
    """Fig. 4: 256 x 256 input, stride 32; offsets 0.3 / 0.8, neighbour 1.8 / 0.7."""
    codec = PIPLabel(input_size=(256, 256), heatmap_size=(8, 8), neighbor_indices=[[1], [0]])
    cell = np.array([5, 2])  # (x, y) of the positive cell
    red = (cell + [0.3, 0.8]) * 32
    blue = (cell + [1.8, 0.7]) * 32
    encoded = codec.encode(np.array([[red, blue]]), np.ones((1, 2)))
    t = codec.assign_targets(torch.from_numpy(encoded['keypoint_labels']),
                             torch.from_numpy(encoded['keypoint_weights']))
    torch.testing.assert_close(t.offsets[0, 0], torch.tensor([0.3, 0.8]))
    torch.testing.assert_close(t.neighbor_offsets[0, 0, 0], torch.tensor([1.8, 0.7]))
    score = t.scores[0, 0]
    assert score[2, 5] == 1 and score.sum() == 1  # 1 at the positive grid, 0 elsewhere
    assert int(t.cell_index[0, 0]) == 2 * 8 + 5
    # the blue dot's own cell (6, 2) and its neighbour, the red dot, from there
    torch.testing.assert_close(t.offsets[0, 1], torch.tensor([0.8, 0.7]))
    torch.testing.assert_close(t.neighbor_offsets[0, 1, 0], torch.tensor([-0.7, 0.8]))


@pytest.mark.parametrize('num_neighbors', [0, 3])
def test_decoding_inverts_encoding_exactly(num_neighbors):
    rng = np.random.default_rng(0)
    k = 9
    keypoints = rng.uniform(0, 95.9, size=(3, k, 2))  # inside a 96 x 64 crop
    keypoints[..., 1] *= 64 / 96
    shape = rng.normal(size=(k, 2))
    nb = nearest_neighbors(shape, num_neighbors) if num_neighbors else None
    codec = PIPLabel(input_size=(96, 64), heatmap_size=(3, 2), neighbor_indices=nb)
    labels, weights = [], []
    for inst in keypoints:
        enc = codec.encode(inst[None], np.ones((1, k)))
        labels.append(enc['keypoint_labels'][0])
        weights.append(enc['keypoint_weights'][0])
    labels = torch.tensor(np.stack(labels), dtype=torch.float64)
    t = codec.assign_targets(labels, torch.tensor(np.stack(weights), dtype=torch.float64))
    decoded, scales, scores = codec.decode_maps(*_maps_from_targets(codec, t, k))
    np.testing.assert_allclose(decoded.numpy(), keypoints, atol=1e-9)
    assert (scores == 1).all()
    if num_neighbors:  # all votes agree: the spread is the eps floor
        np.testing.assert_allclose(scales.numpy(), codec.eps * np.array(codec.stride)
                                   * np.ones_like(keypoints))


def test_votes_are_averaged_and_their_spread_is_the_scale():
    # 3 landmarks; 0 and 2 both name 1 as a neighbour, 1 names 0
    codec = PIPLabel(input_size=(4, 4), heatmap_size=(1, 1),
                     neighbor_indices=[[1], [0], [1]])
    scores = torch.ones(1, 3, 1, 1)
    offsets = torch.tensor([0.5, 0.5, 1.0, 1.0, 2.0, 2.0]).reshape(1, 3, 2, 1, 1)
    # landmark 0 votes 1 at (1.3, 1.0); landmark 2 votes 1 at (0.7, 1.0); 1 votes 0 at (0.5, 0.5)
    neighbors = torch.tensor([1.3, 1.0, 0.5, 0.5, 0.7, 1.0]).reshape(1, 3, 1, 2, 1, 1)
    keypoints, scales, _ = codec.decode_maps(scores, offsets, neighbors)
    stride = 4.0
    torch.testing.assert_close(keypoints[0, 1], torch.tensor([1.0, 1.0]) * stride)  # mean of 3
    torch.testing.assert_close(keypoints[0, 0], torch.tensor([0.5, 0.5]) * stride)
    torch.testing.assert_close(keypoints[0, 2], torch.tensor([2.0, 2.0]) * stride)  # own only
    # landmark 1: |1 - 1|, |1.3 - 1|, |0.7 - 1| on x -> 0.2; on y all 1.0 -> eps
    torch.testing.assert_close(scales[0, 1], torch.tensor([0.2, codec.eps]) * stride)


def test_argmax_picks_the_cell_and_scores_are_its_value():
    codec = PIPLabel(input_size=(64, 64), heatmap_size=(4, 4), scale_mode='score_softmax')
    scores = torch.zeros(1, 1, 4, 4)
    scores[0, 0, 3, 1] = 0.8
    offsets = torch.full((1, 1, 2, 4, 4), 0.25)
    keypoints, scales, conf = codec.decode_maps(scores, offsets, torch.zeros(1, 1, 0, 2, 4, 4))
    torch.testing.assert_close(keypoints[0, 0], torch.tensor([1.25, 3.25]) * 16)
    torch.testing.assert_close(conf, torch.tensor([[0.8]]))
    assert scales.shape == (1, 1, 2) and (scales > 0).all()


def test_softmax_scale_falls_as_the_score_map_peaks():
    codec = PIPLabel(input_size=(64, 64), heatmap_size=(8, 8), scale_mode='score_softmax')
    flat = torch.zeros(1, 2, 8, 8)
    flat[0, :, 4, 4] = torch.tensor([0.3, 1.0])
    _, scales, _ = codec.decode_maps(flat, torch.zeros(1, 2, 2, 8, 8),
                                     torch.zeros(1, 2, 0, 2, 8, 8))
    assert (scales[0, 1] < scales[0, 0]).all()


def test_border_landmarks_take_the_border_cell():
    codec = PIPLabel(input_size=(64, 64), heatmap_size=(4, 4))
    t = codec.assign_targets(torch.tensor([[[1.1, -0.05]]]), torch.ones(1, 1))
    assert int(t.cell_index[0, 0]) == 3  # x clamped to cell 3, y to cell 0
    torch.testing.assert_close(t.offsets[0, 0], torch.tensor([1.4, -0.2]))


def test_non_finite_labels_get_no_weight():
    codec = PIPLabel(input_size=(64, 64), heatmap_size=(4, 4), neighbor_indices=[[1], [0]])
    labels = torch.tensor([[[0.5, 0.5], [float('nan'), 0.2]]])
    t = codec.assign_targets(labels, torch.ones(1, 2))
    assert t.weights.tolist() == [[1.0, 0.0]] and t.neighbor_weights.sum() == 0
    assert torch.isfinite(t.offsets).all() and torch.isfinite(t.neighbor_offsets).all()


def test_neighbour_weights_need_both_landmarks_visible():
    codec = PIPLabel(input_size=(64, 64), heatmap_size=(4, 4), neighbor_indices=[[1], [0]])
    t = codec.assign_targets(torch.full((1, 2, 2), 0.5), torch.tensor([[1.0, 0.0]]))
    assert t.neighbor_weights.flatten().tolist() == [0.0, 0.0]


@pytest.mark.parametrize('kwargs, match', [
    (dict(neighbor_indices=[[0]]), 'lists itself'),
    (dict(neighbor_indices=[[1], [2]]), r'lie in \[0, 2\)'),
    (dict(neighbor_indices=[1, 0]), r'\(K, C\)'),
    (dict(scale_mode='votes'), 'needs neighbours'),
    (dict(scale_mode='max'), 'scale_mode'),
    (dict(heatmap_size=(0, 4)), 'heatmap_size'),
    (dict(softmax_beta=0), 'softmax_beta'),
])
def test_bad_configs_are_refused(kwargs, match):
    args = dict(input_size=(64, 64), heatmap_size=(4, 4))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PIPLabel(**args)


def test_bad_maps_and_labels_are_refused():
    codec = PIPLabel(input_size=(64, 64), heatmap_size=(4, 4), neighbor_indices=[[1], [0]])
    with pytest.raises(ValueError, match='heatmap_size'):
        codec.decode_maps(torch.zeros(1, 2, 2, 2), torch.zeros(1, 2, 2, 2, 2),
                          torch.zeros(1, 2, 1, 2, 2, 2))
    with pytest.raises(ValueError, match='recompute them'):
        codec.decode_maps(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 2, 4, 4),
                          torch.zeros(1, 3, 1, 2, 4, 4))
    with pytest.raises(ValueError, match='neighbor_offsets'):
        codec.decode_maps(torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 2, 4, 4),
                          torch.zeros(1, 2, 2, 2, 4, 4))
    with pytest.raises(ValueError, match='weights'):
        codec.assign_targets(torch.zeros(1, 2, 2), torch.zeros(2))


def test_numpy_decode_api():
    codec = PIPLabel(input_size=(64, 64), heatmap_size=(4, 4), neighbor_indices=[[1], [0]])
    scores = np.zeros((2, 4, 4), np.float32)
    scores[:, 1, 2] = 1
    keypoints, conf = codec.decode((scores, np.zeros((2, 2, 4, 4)), np.zeros((2, 1, 2, 4, 4))))
    assert keypoints.shape == (1, 2, 2) and conf.shape == (1, 2)
    np.testing.assert_allclose(keypoints[0, 0], [32, 16])


def test_mean_shape_neighbours_of_a_file():
    faces = [dict(id=i, bbox=[10 * i, 0, 20, 20],
                  keypoints=[10 * i + 2, 2, 2, 10 * i + 4, 2, 2, 10 * i + 18, 18, 2])
             for i in range(3)]
    shape, num = mean_shape(dict(annotations=faces))
    assert num == 3
    np.testing.assert_allclose(shape, [[-0.4, -0.4], [-0.3, -0.4], [0.4, 0.4]])
    assert nearest_neighbors(shape, 1).tolist() == [[1], [0], [1]]
    faces[1]['keypoints'] = faces[1]['keypoints'][:6]
    with pytest.raises(ValueError, match='annotation id 1'):
        mean_shape(dict(annotations=faces))
    with pytest.raises(ValueError, match='num_neighbors'):
        nearest_neighbors(shape, 3)
