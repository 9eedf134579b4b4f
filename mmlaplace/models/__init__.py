"""Models: importing this package registers them into MMPose's ``MODELS`` registry."""
from .backbones import RCN
from .heads import SoftArgmaxHead
from .losses import GaussianKLLoss, LaplaceKLLoss, SoftArgmaxLoss

__all__ = ['RCN', 'SoftArgmaxHead', 'LaplaceKLLoss', 'GaussianKLLoss', 'SoftArgmaxLoss']
