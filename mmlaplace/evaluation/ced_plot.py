"""Cumulative error distribution (CED) plot of per-sample NMEs, written to a PNG."""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .functional import ced_auc, ced_curve, failure_rate, threshold_name

__all__ = ['save_ced_plot']


def save_ced_plot(curves: Dict[str, np.ndarray],
                  out_file: str,
                  max_threshold: float = 0.2,
                  thresholds: Sequence[float] = (0.08, 0.10),
                  title: str = 'Cumulative error distribution',
                  dpi: int = 100) -> str:
    """Draw one CED curve per set of per-sample NMEs and save the figure.

    Uses a plain :class:`matplotlib.figure.Figure` with the Agg canvas (no ``pyplot`` state,
    works headless). The legend gives each curve's sample count, mean NME and AUC / failure
    rate at the first threshold; the thresholds are drawn as dashed lines.

    Args:
        curves (dict[str, np.ndarray]): Label -> per-sample NME ``(N,)`` (fractions, NaN
            ignored), e.g. ``{'full': nme, 'challenge': nme[ibug]}``.
        out_file (str): PNG path; its folder is created.
        max_threshold (float): Right end of the NME axis. Defaults to 0.2.
        thresholds (Sequence[float]): NME thresholds to mark. Defaults to (0.08, 0.10).
        title (str): Figure title.
        dpi (int): Resolution. Defaults to 100.

    Returns:
        str: ``out_file``.

    Example:
        >>> import tempfile
        >>> path = save_ced_plot({'full': np.array([0.03, 0.05, 0.12])},
        ...                      tempfile.mktemp(suffix='.png'))
        >>> path.endswith('.png')
        True
    """
    if not curves:
        raise ValueError('save_ced_plot: `curves` is empty, nothing to draw')
    fig = Figure(figsize=(5.0, 4.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    first: Optional[float] = thresholds[0] if len(thresholds) else None
    for label, nme in curves.items():
        nme = np.asarray(nme, dtype=np.float64)
        t, frac = ced_curve(nme, max_threshold)
        valid = nme[np.isfinite(nme)]
        text = f'{label} (n={valid.size}): NME {100 * valid.mean():.2f}%' if valid.size \
            else f'{label} (n=0)'
        if first is not None and valid.size:
            name = threshold_name(first)
            text += (f', AUC@{name} {ced_auc(valid, first):.3f}, '
                     f'FR@{name} {100 * failure_rate(valid, first):.1f}%')
        ax.plot(100 * t, frac, label=text, linewidth=1.5)
    for thr in thresholds:
        if thr <= max_threshold:
            ax.axvline(100 * thr, color='gray', linestyle='--', linewidth=0.8)
    ax.set_xlim(0, 100 * max_threshold)
    ax.set_ylim(0, 1)
    ax.set_xlabel('NME (%)')
    ax.set_ylabel('fraction of faces')
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(loc='lower right', fontsize=7)
    fig.tight_layout()
    folder = osp.dirname(osp.abspath(out_file))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(out_file, dpi=dpi)
    return out_file
