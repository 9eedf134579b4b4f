"""Training machinery: AMP switch, the GAN optimizer constructor, the semi-supervised loop."""
from . import hooks  # noqa: F401  (registers the hooks)
from .amp import enable_amp
from .cpu_distributed import setup_cpu_distributed
from .optimizers import GANOptimWrapperConstructor
from .runner import SemiSupervisedEpochBasedTrainLoop

__all__ = [
    'enable_amp', 'setup_cpu_distributed', 'GANOptimWrapperConstructor',
    'SemiSupervisedEpochBasedTrainLoop'
]
