"""Losses of Laplace Landmark Localization: functional forms and registered modules."""
from .equivariance import EQUIVARIANCE_KINDS, EquivarianceLoss, equivariance_loss
from .functional import gaussian_kl_loss, laplace_kl_loss, soft_argmax_loss

# The closed forms come through .laplace_kl (which re-exports them from .functional): the
# function `laplace_kl` must win over the submodule of the same name in this namespace.
from .laplace_kl import (
    GaussianKLLoss,
    LaplaceKLLoss,
    SoftArgmaxLoss,
    gaussian_kl,
    laplace_kl,
    soft_argmax_distance,
)
from .pip_losses import PIP_LOSS_WEIGHTS_BY_STRIDE, PIPLoss, pip_loss

__all__ = [
    'laplace_kl', 'gaussian_kl', 'soft_argmax_distance', 'laplace_kl_loss', 'gaussian_kl_loss',
    'soft_argmax_loss', 'LaplaceKLLoss', 'GaussianKLLoss', 'SoftArgmaxLoss',
    'pip_loss', 'PIPLoss', 'PIP_LOSS_WEIGHTS_BY_STRIDE', 'equivariance_loss', 'EquivarianceLoss',
    'EQUIVARIANCE_KINDS'
]
