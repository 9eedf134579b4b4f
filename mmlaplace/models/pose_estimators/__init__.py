"""Pose estimators: importing this package registers them into MMPose's ``MODELS``."""
from .adversarial_topdown import AdversarialTopdownPoseEstimator
from .equivariance_topdown import EquivarianceTopdownPoseEstimator
from .self_training_topdown import SelfTrainingTopdownPoseEstimator
from .semi_supervised_topdown import SemiSupervisedTopdownPoseEstimator

__all__ = ['AdversarialTopdownPoseEstimator', 'EquivarianceTopdownPoseEstimator',
           'SelfTrainingTopdownPoseEstimator', 'SemiSupervisedTopdownPoseEstimator']
