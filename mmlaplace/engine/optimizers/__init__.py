"""Optimizer wrapper constructors (registered into MMPose's ``OPTIM_WRAPPER_CONSTRUCTORS``)."""
from .gan_optim_constructor import GANOptimWrapperConstructor, generator_view

__all__ = ['GANOptimWrapperConstructor', 'generator_view']
