"""NME-vs-epoch curves of training runs (from ``tools/eval_checkpoints.py`` reports)."""
from typing import Dict, Mapping

from .figure_canvas import new_figure, save_figure


def plot_nme_curves(curves: Mapping[str, Mapping[int, Dict[str, float]]], out_png: str,
                    title: str = '') -> None:
    """One line per curve: NME (%) per epoch, the last value in the legend.

    Args:
        curves (Mapping): ``{label: {epoch: metrics}}`` with ``metrics['NME']`` a fraction.
        out_png (str): Output image.
        title (str): Figure title.
    """
    if not curves:
        raise ValueError('plot_nme_curves: no curves')
    fig = new_figure(6, 4)
    ax = fig.add_subplot(1, 1, 1)
    for name, per_epoch in curves.items():
        epochs = sorted(int(e) for e in per_epoch)
        values = {int(e): m for e, m in per_epoch.items()}
        if not epochs:
            raise ValueError(f'plot_nme_curves: curve {name!r} has no epochs')
        ax.plot(epochs, [100 * values[e]['NME'] for e in epochs], marker='o', ms=3,
                label=f'{name} (last {100 * values[epochs[-1]]["NME"]:.2f}%)')
    ax.set_xlabel('epoch')
    ax.set_ylabel('NME (%, inter-ocular)')
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, out_png)
