"""Models: importing this package registers them into MMPose's ``MODELS`` registry."""
from .backbones import RCN
from .discriminators import HeatmapPatchDiscriminator
from .heads import SoftArgmaxHead
from .losses import GaussianKLLoss, LaplaceKLLoss, SoftArgmaxLoss
from .pose_estimators import AdversarialTopdownPoseEstimator

__all__ = [
    'RCN', 'SoftArgmaxHead', 'LaplaceKLLoss', 'GaussianKLLoss', 'SoftArgmaxLoss',
    'HeatmapPatchDiscriminator', 'AdversarialTopdownPoseEstimator'
]
