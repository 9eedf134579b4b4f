from .checkpoint import register_checkpoint_loader
from .version_check import check_versions

__all__ = ['check_versions', 'register_checkpoint_loader']
