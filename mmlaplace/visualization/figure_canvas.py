"""Headless matplotlib figures: create them on an Agg canvas, turn them into RGB arrays or PNGs.

Nothing here touches ``matplotlib.pyplot``'s global state, so drawing in a hook or a tool never
changes the user's interactive backend and figures are freed as soon as they go out of scope.
"""
import os
import os.path as osp

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(width: float, height: float, constrained: bool = False) -> Figure:
    """A figure of ``width`` x ``height`` inches on its own Agg canvas.

    Args:
        width (float): Width in inches.
        height (float): Height in inches.
        constrained (bool): Use matplotlib's constrained layout (colour bars spanning rows).

    Returns:
        Figure: The figure, not registered with pyplot.
    """
    fig = Figure(figsize=(width, height), layout='constrained' if constrained else None)
    FigureCanvasAgg(fig)
    return fig


def figure_to_rgb(fig: Figure, dpi: int = 100) -> np.ndarray:
    """Render a figure into an RGB image.

    Args:
        fig (Figure): A figure made by :func:`new_figure`.
        dpi (int): Pixels per inch.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image, ``H = height * dpi``, ``W = width * dpi``.
    """
    fig.set_dpi(dpi)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[..., :3])


def save_figure(fig: Figure, out_file: str, dpi: int = 100) -> str:
    """Write a figure as a PNG, creating the folder; returns ``out_file``."""
    folder = osp.dirname(osp.abspath(out_file))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(out_file, dpi=dpi)
    return out_file


def save_rgb(image: np.ndarray, out_file: str, colors: int = 0) -> str:
    """Write an RGB image as a PNG, creating the folder.

    Args:
        image (np.ndarray): (H, W, 3) uint8 RGB image.
        out_file (str): PNG path.
        colors (int): When in [2, 256], store a palette of that many colours (median cut):
            3-5x smaller files, e.g. for pictures kept in a repository. 0 keeps full RGB.

    Returns:
        str: ``out_file``.
    """
    from PIL import Image
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'save_rgb expects an (H, W, 3) uint8 RGB image, got {image.dtype} '
                         f'{image.shape}')
    if colors and not 2 <= colors <= 256:
        raise ValueError(f'save_rgb: colors must be 0 or in [2, 256], got {colors}')
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    picture = Image.fromarray(np.ascontiguousarray(image))
    if colors:
        picture = picture.quantize(colors, method=Image.Quantize.MEDIANCUT)
    picture.save(out_file, format='PNG', optimize=True)
    return out_file
