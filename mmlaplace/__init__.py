"""mmlaplace: Laplace Landmark Localization for MMPose 1.x.

Importing the package checks the OpenMMLab versions, registers every mmlaplace module into
MMPose's registries and loads MMEngine checkpoints with the weights-only unpickler
(see :mod:`mmlaplace.utils.checkpoint`). A config needs only::

    custom_imports = dict(imports=['mmlaplace'], allow_failed_imports=False)
"""
from .utils.version_check import check_versions
from .version import __version__

check_versions()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registers modules)
from .utils import register_checkpoint_loader  # noqa: E402

register_checkpoint_loader()

__all__ = ['__version__']
