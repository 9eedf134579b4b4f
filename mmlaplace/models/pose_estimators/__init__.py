"""Pose estimators: importing this package registers them into MMPose's ``MODELS``."""
from .adversarial_topdown import AdversarialTopdownPoseEstimator

__all__ = ['AdversarialTopdownPoseEstimator']
