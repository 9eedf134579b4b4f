"""Losses of Laplace Landmark Localization."""
from .laplace_kl import (
    GaussianKLLoss,
    LaplaceKLLoss,
    SoftArgmaxLoss,
    gaussian_kl,
    laplace_kl,
    soft_argmax_distance,
)

__all__ = [
    'laplace_kl', 'gaussian_kl', 'soft_argmax_distance', 'LaplaceKLLoss', 'GaussianKLLoss',
    'SoftArgmaxLoss'
]
