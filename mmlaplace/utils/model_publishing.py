"""Publishing a trained checkpoint into the model zoo: weights only, sha256, metafile entry."""
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Optional

import torch
import yaml

from .atomic_io import atomic_write
from .model_zoo import MODEL_INDEX, file_sha256, repo_root

__all__ = ['strip_checkpoint', 'zoo_metrics', 'upsert_metafile_entry', 'zoo_table_markdown']

#: metric key of ``tools/test.py --out`` -> name in the metafile (all as percentages but the
#: correlation and the spread)
METRIC_NAMES = {
    'NME': ('NME', 100.0), 'FR@10': ('FR@10', 100.0), 'AUC@10': ('AUC@10', 1.0),
    'FR@8': ('FR@8', 100.0), 'AUC@8': ('AUC@8', 1.0),
    'heatmap_spread': ('Heatmap spread (px)', 1.0),
    'scale_error_spearman': ('Scale-error Spearman', 1.0),
}


def strip_checkpoint(src: str, dst_dir: str, stem: str) -> str:
    """Save ``src``'s weights only (no optimizer / scheduler / message hub) as a zoo file.

    The file is ``dst_dir/{stem}-{sha256[:8]}.pth`` (MMPose's naming) and holds
    ``state_dict`` and the ``meta`` keys a user needs (``dataset_meta``, ``epoch``, ``iter``,
    versions). Returns its path.
    """
    from .checkpoint import load_local_checkpoint
    ckpt = load_local_checkpoint(src, map_location='cpu')
    if 'state_dict' not in ckpt:
        raise KeyError(f'{src} has no "state_dict"')
    meta = {k: v for k, v in (ckpt.get('meta') or {}).items()
            if k in ('dataset_meta', 'epoch', 'iter', 'mmengine_version', 'seed')}
    state = {k: v.detach().clone() for k, v in ckpt['state_dict'].items()}
    os.makedirs(dst_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dst_dir) as tmp:
        path = osp.join(tmp, 'weights.pth')
        torch.save(dict(state_dict=state, meta=meta), path)
        final = osp.join(dst_dir, f'{stem}-{file_sha256(path)[:8]}.pth')
        shutil.move(path, final)
    return final


def zoo_metrics(metrics: Dict[str, float]) -> Dict[str, float]:
    """``tools/test.py --out`` metrics -> the metafile's ``Metrics`` (rounded, named)."""
    out = {}
    for key, (name, factor) in METRIC_NAMES.items():
        if metrics.get(key) is not None:
            out[name] = round(float(metrics[key]) * factor, 3 if factor == 1.0 else 2)
    if 'NME' not in out:
        raise KeyError('the metrics have no "NME"')
    return out


def upsert_metafile_entry(entry: Dict, metafile: str, collection: Optional[Dict] = None,
                          root: Optional[str] = None) -> None:
    """Insert or replace a model entry of ``metafile``; import it in the index.

    The entry replaces any entry of the same ``Name`` and any entry holding its ``Alias`` (an
    alias names one model: publishing a better model under it moves the alias).

    Args:
        entry (dict): MMPose model entry (``Name``, ``Alias``, ``Config``, ``Weights``,
            ``Metadata``, ``Results``), paths relative to ``root``.
        metafile (str): The metafile (created if missing).
        collection (dict, optional): Its ``Collections`` entry, set when absent.
        root (str, optional): Repository root (default :func:`repo_root`).
    """
    root = root or repo_root()
    data = {}
    if osp.isfile(metafile):
        with open(metafile) as f:
            data = yaml.safe_load(f) or {}
    if collection is not None and not any(c.get('Name') == collection['Name']
                                          for c in data.get('Collections') or []):
        data.setdefault('Collections', []).append(collection)
    models: List[Dict] = [
        m for m in data.get('Models') or []
        if m.get('Name') != entry['Name'] and (entry.get('Alias') is None
                                               or m.get('Alias') != entry.get('Alias'))]
    models.append(entry)
    data['Models'] = sorted(models, key=lambda m: m['Name'])
    atomic_write(yaml.safe_dump(data, sort_keys=False, width=100), metafile)

    index_path = osp.join(root, MODEL_INDEX)
    index = {}
    if osp.isfile(index_path):
        with open(index_path) as f:
            index = yaml.safe_load(f) or {}
    rel = osp.relpath(metafile, root)
    imports = list(index.get('Import') or [])
    if rel not in imports:
        index['Import'] = sorted(imports + [rel])
        atomic_write(yaml.safe_dump(index, sort_keys=False), index_path)


def zoo_table_markdown(models: Dict) -> str:
    """A markdown table of zoo models (``load_model_index()`` values): the README's zoo table.

    Columns: alias, config, epochs, size, then every metric of the first result, in the order
    of the first model's metrics.
    """
    models = list(models.values())
    if not models:
        return '(the zoo is empty)\n'
    metric_names: List[str] = []
    for model in models:
        for name in (model.results[0].get('Metrics') or {}) if model.results else {}:
            if name not in metric_names:
                metric_names.append(name)
    root = repo_root()
    head = ['name', 'config', 'epochs', 'weights'] + metric_names
    rows = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)]
    for model in models:
        metrics = model.results[0].get('Metrics', {}) if model.results else {}
        cells = [f'`{model.alias}`', f'[{model.name}]({osp.relpath(model.config, root)})',
                 str(model.metadata.get('Epochs', '')),
                 f'[{model.metadata.get("Weights size (KB)", "")} KB]'
                 f'({osp.relpath(model.weights, root)})']
        cells += [str(metrics.get(name, '')) for name in metric_names]
        rows.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows) + '\n'
