"""Pose estimators: importing this package registers them into MMPose's ``MODELS``."""
from .adversarial_topdown import AdversarialTopdownPoseEstimator
from .equivariance_topdown import EquivarianceTopdownPoseEstimator

__all__ = ['AdversarialTopdownPoseEstimator', 'EquivarianceTopdownPoseEstimator']
