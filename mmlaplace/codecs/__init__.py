"""Keypoint codecs: importing this package registers them into MMPose's ``KEYPOINT_CODECS``."""
from .pip_label import PIPLabel, PIPTargets
from .soft_argmax_label import SoftArgmaxLabel

__all__ = ['PIPLabel', 'PIPTargets', 'SoftArgmaxLabel']
