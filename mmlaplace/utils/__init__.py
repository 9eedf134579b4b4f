from .atomic_io import AtomicLocalBackend, atomic_write
from .checkpoint import register_checkpoint_loader
from .version_check import check_versions

__all__ = [
    'AtomicLocalBackend', 'atomic_write', 'check_versions', 'register_checkpoint_loader'
]
