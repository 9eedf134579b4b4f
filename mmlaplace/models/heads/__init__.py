from .soft_argmax_head import SoftArgmaxHead

__all__ = ['SoftArgmaxHead']
