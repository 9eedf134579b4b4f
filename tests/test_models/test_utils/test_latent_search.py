"""The latent ground-truth search of semantic alignment (Liu et al., CVPR 2019, eq. 8)."""
import pytest
import torch

from mmlaplace.models.losses.functional import laplace_kl
from mmlaplace.models.utils.latent_search import search_latent_landmarks


def _peaked(points: torch.Tensor, b: float = 0.3):
    """A model sure of `points` (B, K, 2): mean there, a small scale."""
    return points.clone(), torch.full_like(points, b)


def test_a_confident_model_inside_the_window_moves_the_target_there_if_sigma1_is_large():
    o = torch.tensor([[[20.0, 20.0], [40.0, 30.0]]])
    peak = o + torch.tensor([[[3.0, -2.0], [-1.0, 4.0]]])
    mu, b = _peaked(peak)
    moved, _ = search_latent_landmarks(mu, b, o, window=9, sigma1=50.0)
    torch.testing.assert_close(moved, peak)
    kept, _ = search_latent_landmarks(mu, b, o, window=9, sigma1=0.05)
    torch.testing.assert_close(kept, o)


def test_the_window_bounds_hold():
    o = torch.tensor([[[20.0, 20.0]]])
    mu, b = _peaked(o + torch.tensor([[[30.0, -30.0]]]))  # far outside a 7 x 7 window
    found, _ = search_latent_landmarks(mu, b, o, window=7, sigma1=1e3)
    torch.testing.assert_close(found, o + torch.tensor([[[3.0, -3.0]]]))  # its corner
    # and the heatmap bounds: nothing left of x = 0, the observation itself allowed
    o = torch.tensor([[[1.0, 5.0]]])
    mu, b = _peaked(torch.tensor([[[-5.0, 5.0]]]))
    found, _ = search_latent_landmarks(mu, b, o, window=7, sigma1=1e3, size=(16, 16))
    torch.testing.assert_close(found, torch.tensor([[[0.0, 5.0]]]))


def test_cost_is_the_prior_plus_the_closed_form_laplace_kl():
    torch.manual_seed(0)
    mu = torch.rand(2, 3, 2, dtype=torch.float64) * 20
    b = torch.rand(2, 3, 2, dtype=torch.float64) + 0.5
    o = mu.round() + 1.0
    found, cost = search_latent_landmarks(mu, b, o, window=5, sigma1=2.0, sigma2=0.7,
                                          target_scale=1.5)
    want = ((o - found).square().sum(-1) / (2 * 2.0 ** 2)
            + laplace_kl(mu, b, found, 1.5).sum(-1) / (2 * 0.7 ** 2))
    torch.testing.assert_close(cost, want)
    # brute force over the window: no candidate is cheaper
    for dx in range(-2, 3):
        for dy in range(-2, 3):
            y = o + torch.tensor([dx, dy], dtype=torch.float64)
            c = ((o - y).square().sum(-1) / 8.0
                 + laplace_kl(mu, b, y, 1.5).sum(-1) / (2 * 0.49))
            assert (cost <= c + 1e-12).all()


def test_invalid_landmarks_keep_their_observation_and_ties_keep_it_too():
    o = torch.tensor([[[10.0, 10.0], [10.0, 10.0]]])
    mu, b = _peaked(o + 2.0)
    valid = torch.tensor([[True, False]])
    found, _ = search_latent_landmarks(mu, b, o, window=5, sigma1=1e3, valid=valid)
    torch.testing.assert_close(found[0, 1], o[0, 1])
    assert not torch.equal(found[0, 0], o[0, 0])
    # a flat model (huge scale): the data term hardly varies, the prior keeps o
    mu, b = o.clone(), torch.full_like(o, 1e6)
    found, _ = search_latent_landmarks(mu, b, o, window=5)
    torch.testing.assert_close(found, o)


@pytest.mark.parametrize('kwargs, match', [
    (dict(window=4), 'window'), (dict(window=0), 'window'), (dict(sigma1=0.0), 'sigma1'),
    (dict(sigma2=-1.0), 'sigma2'), (dict(target_scale=0.0), 'target_scale')])
def test_bad_arguments_are_named(kwargs, match):
    x = torch.zeros(1, 2, 2)
    with pytest.raises(ValueError, match=match):
        search_latent_landmarks(x, x + 1, x, **kwargs)
    with pytest.raises(ValueError, match=r'\(B, K, 2\)'):
        search_latent_landmarks(x, x + 1, torch.zeros(1, 3, 2))
