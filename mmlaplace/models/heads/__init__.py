from .pip_head import PIPHead
from .soft_argmax_head import SoftArgmaxHead

__all__ = ['PIPHead', 'SoftArgmaxHead']
