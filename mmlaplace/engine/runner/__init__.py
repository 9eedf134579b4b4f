"""Training loops (registered into MMPose's ``LOOPS``)."""
from .resumable_loop import ResumableEpochBasedTrainLoop, SkipFirstSampler, seed_everything
from .semi_supervised_loop import CyclePositionSampler, SemiSupervisedEpochBasedTrainLoop

__all__ = [
    'CyclePositionSampler', 'ResumableEpochBasedTrainLoop', 'SemiSupervisedEpochBasedTrainLoop',
    'SkipFirstSampler', 'seed_everything'
]
