"""mmlaplace: Laplace Landmark Localization for MMPose 1.x.

Importing the package checks the OpenMMLab versions, registers every mmlaplace module into
MMPose's registries and loads MMEngine checkpoints with the weights-only unpickler
(see :mod:`mmlaplace.utils.checkpoint`). A config needs only::

    custom_imports = dict(imports=['mmlaplace'], allow_failed_imports=False)
"""
from ._warnings import ignore_known_warnings

ignore_known_warnings()  # before mmengine / mmpose load: exact messages only, see _warnings

from .utils.version_check import check_versions  # noqa: E402
from .version import __version__  # noqa: E402

check_versions()

from . import codecs, datasets, engine, evaluation, models  # noqa: E402,F401  (registers modules)
from .utils import register_checkpoint_loader  # noqa: E402

register_checkpoint_loader()

__all__ = ['__version__']
