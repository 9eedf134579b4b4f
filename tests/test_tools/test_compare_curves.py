"""tools/compare_curves.py and plot_nme_curves on made-up eval_checkpoints reports."""
import json

import pytest


def _report(path, nme_by_epoch):
    path.write_text(json.dumps(dict(curves=dict(lfpw={str(e): dict(NME=v) for e, v in
                                                       nme_by_epoch.items()}))))
    return str(path)


def test_compare_curves_plots_and_ratios(load_tool, tmp_path):
    tool = load_tool('compare_curves.py')
    a = _report(tmp_path / 'a.json', {10: 0.08, 20: 0.06})
    b = _report(tmp_path / 'b.json', {10: 0.10, 20: 0.08, 30: 0.07})
    out = tmp_path / 'cmp.png'
    report = tool.main([f'LaplaceKL={a}', f'soft-argmax={b}', '--set', 'lfpw', '--out',
                        str(out)])
    assert out.stat().st_size > 5000
    assert report['ratio_to_first']['soft-argmax'] == pytest.approx({10: 1.25, 20: 8 / 6})
    saved = json.loads((tmp_path / 'cmp.json').read_text())
    assert saved['nme']['soft-argmax']['30'] == 0.07
    with pytest.raises(SystemExit, match="has no set 'heldout'"):
        tool.main([f'x={a}', '--set', 'heldout', '--out', str(out)])
    with pytest.raises(SystemExit, match='not found'):
        tool.main([f'x={tmp_path / "none.json"}', '--out', str(out)])
    with pytest.raises(SystemExit, match='is not LABEL=FILE'):
        tool.main([a, '--out', str(out)])


def test_plot_nme_curves_rejects_empty(tmp_path):
    from mmlaplace.visualization import plot_nme_curves
    with pytest.raises(ValueError, match='no curves'):
        plot_nme_curves({}, str(tmp_path / 'x.png'))
    with pytest.raises(ValueError, match="curve 'a' has no epochs"):
        plot_nme_curves({'a': {}}, str(tmp_path / 'x.png'))
