"""Training / testing hooks (one module per hook)."""
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .checkpoint_compatibility_hook import CheckpointCompatibilityHook
from .face_data_check_hook import FaceDataCheckHook
from .landmark_visualization_hook import LandmarkUncertaintyVisualizationHook
from .non_finite_loss_hook import NonFiniteLossError, NonFiniteLossHook

__all__ = [
    'AtomicCheckpointHook', 'CheckpointCompatibilityHook', 'FaceDataCheckHook',
    'LandmarkUncertaintyVisualizationHook', 'NonFiniteLossError', 'NonFiniteLossHook'
]
