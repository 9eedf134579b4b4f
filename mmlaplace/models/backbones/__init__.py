"""Backbones of mmlaplace (registered in ``mmpose.registry.MODELS``)."""
from .rcn import RCN, rcn_num_params, rcn_param_table

__all__ = ['RCN', 'rcn_num_params', 'rcn_param_table']
