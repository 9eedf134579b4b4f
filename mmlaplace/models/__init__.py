"""Models: importing this package registers them into MMPose's ``MODELS`` registry."""
from .backbones import RCN
from .discriminators import HeatmapPatchDiscriminator
from .heads import PIPHead, SoftArgmaxHead
from .losses import (
    GaussianKLLoss,
    LaplaceKLLoss,
    PIPLoss,
    SoftArgmaxLoss,
    gaussian_kl_loss,
    laplace_kl_loss,
    pip_loss,
    soft_argmax_loss,
)
from .pose_estimators import AdversarialTopdownPoseEstimator

__all__ = [
    'RCN', 'SoftArgmaxHead', 'LaplaceKLLoss', 'GaussianKLLoss', 'SoftArgmaxLoss',
    'laplace_kl_loss', 'gaussian_kl_loss', 'soft_argmax_loss', 'HeatmapPatchDiscriminator',
    'AdversarialTopdownPoseEstimator', 'PIPHead', 'PIPLoss', 'pip_loss'
]
