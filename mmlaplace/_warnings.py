"""Known-harmless third-party warnings, silenced by exact message (nothing else is filtered).

Each entry is one warning that every run of the tools printed, many times, although it
reports nothing a user can or needs to act on; it hid the warnings that matter. Filters match
the message's start exactly, the category and the emitting module, so any other warning of
the same libraries still shows. The list is also in ``pyproject.toml``'s pytest
``filterwarnings`` (pytest resets warning filters around each test).
"""
import warnings

__all__ = ['KNOWN_HARMLESS_WARNINGS', 'ignore_known_warnings']

#: (message regex, category, module regex)
KNOWN_HARMLESS_WARNINGS = (
    # mmengine 0.10 imports pkg_resources to look packages up; setuptools < 81 (pinned for
    # mmcv's build) deprecates it. Nothing to do until mmengine drops the import.
    # (attributed to importlib, which runs the import: no module constraint)
    (r'pkg_resources is deprecated as an API', UserWarning, r''),
    # MMPose's GetBBoxCenterScale says, for every sample that already has a box centre and
    # scale, that it keeps them; the face pipelines set them on purpose.
    (r'Use the existing "bbox_center" and "bbox_scale"', UserWarning,
     r'mmpose\.datasets\.transforms\.common_transforms'),
    # MMPose's datasets name their keypoint metainfo 'configs/_base_/datasets/<name>.py' and,
    # run from a checkout that is not MMPose's, say for every dataset built that they use the
    # installed copy instead: the file they meant.
    (r'The metainfo config file "configs/_base_/datasets/[^"]+" does not exist\. A matched '
     r'config file', UserWarning, r'mmpose\.datasets\.datasets\.utils'),
)


def ignore_known_warnings() -> None:
    """Install one ``ignore`` filter per entry of :data:`KNOWN_HARMLESS_WARNINGS`."""
    for message, category, module in KNOWN_HARMLESS_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category, module=module)
