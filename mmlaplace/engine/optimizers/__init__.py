"""Optimizer wrapper constructors (registered into MMPose's ``OPTIM_WRAPPER_CONSTRUCTORS``)."""
from .cpu_autocast_optim_wrapper import CPUAutocastOptimWrapper
from .gan_optim_constructor import GANOptimWrapperConstructor, generator_view

__all__ = ['CPUAutocastOptimWrapper', 'GANOptimWrapperConstructor', 'generator_view']
