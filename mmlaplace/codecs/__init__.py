"""Keypoint codecs: importing this package registers them into MMPose's ``KEYPOINT_CODECS``."""
from .soft_argmax_label import SoftArgmaxLabel

__all__ = ['SoftArgmaxLabel']
