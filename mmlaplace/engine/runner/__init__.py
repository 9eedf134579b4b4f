"""Training loops (registered into MMPose's ``LOOPS``)."""
from .semi_supervised_loop import (
                                   CyclePositionSampler,
                                   SemiSupervisedEpochBasedTrainLoop,
                                   seed_everything,
)

__all__ = ['CyclePositionSampler', 'SemiSupervisedEpochBasedTrainLoop', 'seed_everything']
