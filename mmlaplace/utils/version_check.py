"""Checks that the installed OpenMMLab stack is one mmlaplace supports."""
from importlib.metadata import PackageNotFoundError, version

from packaging.version import Version

#: package -> (lowest supported, first unsupported) version.
SUPPORTED = {
    'mmengine': ('0.10.0', '1.0.0'),
    'mmcv': ('2.0.1', '2.2.0'),
    'mmpose': ('1.1.0', '1.4.0'),
}


def check_versions() -> None:
    """Raise ``ImportError`` naming the supported range of any mismatching package.

    Raises:
        ImportError: when mmengine, mmcv or mmpose is missing or out of range.
    """
    problems = []
    for name, (low, high) in SUPPORTED.items():
        try:
            found = version(name)
        except PackageNotFoundError:
            problems.append(f'{name} is not installed (need {low} <= {name} < {high})')
            continue
        if not Version(low) <= Version(found) < Version(high):
            problems.append(f'{name}=={found} is installed, but mmlaplace supports '
                            f'{low} <= {name} < {high}')
    if problems:
        raise ImportError('mmlaplace: unsupported OpenMMLab stack: ' + '; '.join(problems) +
                          '. Run `bash tools/install.sh` to set up the pinned stack.')
