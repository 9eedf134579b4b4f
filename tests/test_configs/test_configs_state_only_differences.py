"""Config children state only what differs from their bases (no restated defaults)."""
import ast
from pathlib import Path
from typing import Iterator, Tuple

import pytest
from mmengine.config import Config

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
CHILDREN = sorted(p for p in CONFIG_ROOT.rglob('*.py')
                  if '_base_' not in p.parts or p.parent.name == '_base_')

_MISSING = object()


def _leaves(node: ast.AST, path: Tuple[str, ...]) -> Iterator[Tuple[Tuple[str, ...], object]]:
    """(key path, literal value) of every constant leaf of a ``dict(...)`` literal."""
    if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'dict':
        keys = {kw.arg for kw in node.keywords}
        if '_delete_' in keys or 'type' in keys:
            return  # a replaced dict or a new type: its other keys are that type's settings
        for kw in node.keywords:
            yield from _leaves(kw.value, path + (kw.arg, ))
    else:
        try:
            yield path, ast.literal_eval(node)
        except ValueError:
            return  # a name, a {{_base_.x}} or an expression: not a restated literal


def _get(cfg, path):
    for key in path:
        if not isinstance(cfg, dict) or key not in cfg:
            return _MISSING
        cfg = cfg[key]
    return cfg


def _single_base(config: Path):
    tree = ast.parse(config.read_text())
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and getattr(stmt.targets[0], 'id', '') == '_base_':
            bases = ast.literal_eval(stmt.value)
            return tree, bases if len(bases) == 1 else None
    return tree, None


@pytest.mark.parametrize('config', CHILDREN, ids=lambda p: p.stem)
def test_child_restates_nothing_of_its_base(config: Path):
    tree, bases = _single_base(config)
    if not bases:
        pytest.skip('several bases or none: composition, nothing inherited to restate')
    if '::' in bases[0]:  # another package's config (mmpose::...)
        import mmpose
        path = str(Path(mmpose.__file__).parent / '.mim' / 'configs' / bases[0].split('::')[1])
    else:
        path = str((config.parent / bases[0]).resolve())
    base = Config.fromfile(path).to_dict()
    restated = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign) or not isinstance(stmt.targets[0], ast.Name):
            continue
        name = stmt.targets[0].id
        if name == '_base_':
            continue
        for path, value in _leaves(stmt.value, (name, )):
            old = _get(base, path)
            if old is not _MISSING and old == value:
                restated.append('.'.join(path) + f' = {value!r}')
            elif old is not _MISSING and isinstance(old, (list, tuple)) \
                    and list(old) == list(value if isinstance(value, (list, tuple)) else []):
                restated.append('.'.join(path) + f' = {value!r}')
    assert not restated, f'{config.name} restates its base: {restated}'


def test_the_check_catches_a_restated_default(tmp_path):
    base = tmp_path / 'base.py'
    base.write_text("model = dict(backbone=dict(width=1.0, depth=3))\n")
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['./base.py']\nmodel = dict(backbone=dict(width=1.0, depth=4))\n")
    with pytest.raises(AssertionError, match=r'model.backbone.width = 1.0'):
        test_child_restates_nothing_of_its_base(child)
