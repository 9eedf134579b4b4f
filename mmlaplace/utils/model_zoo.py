"""The model zoo: trained models named in MMPose's model-index format, shipped in the repository.

``model-index.yml`` at the repository root imports the metafiles of the config folders
(``configs/*/metafile.yml``), as in MMPose. Each model entry has MMPose's fields (``Name``: the
config's stem, ``Config``, ``Weights``, ``Metadata``, ``Results``) plus ``Alias``, the short
name users type (``'rcn-w1-8'``). ``Weights`` and ``Config`` are paths relative to the
repository root; ``Metadata['Weights SHA256']`` is the weights file's sha256, checked on every
lookup so that a truncated or replaced file is refused instead of silently loaded.

Example:
    >>> from mmlaplace.utils.model_zoo import list_models, resolve_model
    >>> 'rcn-w1-8' in list_models()  # doctest: +SKIP
    True
    >>> config, weights = resolve_model('rcn-w1-8')  # doctest: +SKIP
"""
import hashlib
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import yaml

__all__ = ['DEFAULT_MODEL', 'UnknownModelError', 'ZooModel', 'repo_root', 'load_model_index',
           'list_models', 'get_model', 'resolve_model', 'file_sha256']

MODEL_INDEX = 'model-index.yml'
#: The model ``tools/infer.py`` uses when none is named.
DEFAULT_MODEL = 'rcn-w1-4'


class UnknownModelError(KeyError):
    """A model name that is neither a zoo alias nor a zoo model's name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ''


@dataclass(frozen=True)
class ZooModel:
    """One model of the zoo, its paths absolute.

    Attributes:
        name (str): MMPose name (the config's stem).
        alias (str): Short name, e.g. ``'rcn-w1-8'``.
        config (str): Config file.
        weights (str): Weights-only checkpoint file.
        sha256 (str): Expected sha256 of ``weights``.
        metadata (dict): The entry's ``Metadata``.
        results (list): The entry's ``Results``.
    """

    name: str
    alias: str
    config: str
    weights: str
    sha256: str
    metadata: Dict = field(default_factory=dict)
    results: List = field(default_factory=list)


def repo_root() -> str:
    """The repository root that holds ``model-index.yml`` (the package's parent folder)."""
    return osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def file_sha256(path: str, chunk: int = 1 << 20) -> str:
    """The sha256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def _read_yaml(path: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f'model zoo: {path} not found (the zoo needs a source checkout '
                                'of mmlaplace, installed with `pip install -e .`)')
    with open(path) as f:
        try:
            data = yaml.safe_load(f) or {}
        except yaml.YAMLError as err:
            raise ValueError(f'model zoo: {path} is not valid YAML: {err}') from err
    if not isinstance(data, dict):
        raise ValueError(f'model zoo: {path} must hold a mapping, got {type(data).__name__}')
    return data


def _entry(raw: dict, metafile: str, root: str) -> ZooModel:
    for key in ('Name', 'Config', 'Weights'):
        if not raw.get(key):
            raise ValueError(f'model zoo: an entry of {metafile} has no "{key}"')
    meta = dict(raw.get('Metadata') or {})
    sha = meta.get('Weights SHA256')
    if not sha:
        raise ValueError(f'model zoo: {raw["Name"]} in {metafile} has no '
                         '"Metadata: Weights SHA256"')
    return ZooModel(name=raw['Name'], alias=raw.get('Alias') or raw['Name'],
                    config=osp.join(root, raw['Config']), weights=osp.join(root, raw['Weights']),
                    sha256=str(sha).lower(), metadata=meta, results=list(raw.get('Results') or []))


def load_model_index(root: Optional[str] = None) -> Dict[str, ZooModel]:
    """Every zoo model by alias, in the order of ``model-index.yml``'s imports.

    Args:
        root (str, optional): Repository root. Defaults to :func:`repo_root`.

    Returns:
        dict[str, ZooModel]: alias -> model.

    Raises:
        ValueError: a malformed metafile, or two models with one name or alias.
    """
    root = root or repo_root()
    index = _read_yaml(osp.join(root, MODEL_INDEX))
    models: Dict[str, ZooModel] = {}
    seen: Dict[str, str] = {}
    for rel in index.get('Import') or []:
        metafile = osp.join(root, rel)
        for raw in _read_yaml(metafile).get('Models') or []:
            model = _entry(raw, metafile, root)
            for key in {model.alias, model.name}:
                if key in seen:
                    raise ValueError(f'model zoo: "{key}" is named twice ({seen[key]} and '
                                     f'{metafile})')
                seen[key] = metafile
            models[model.alias] = model
    return models


def list_models(root: Optional[str] = None) -> List[str]:
    """The aliases of the zoo's models."""
    return list(load_model_index(root))


def get_model(name: str, root: Optional[str] = None, verify: bool = True) -> ZooModel:
    """A zoo model by alias or MMPose name, its weights checked against the metafile's sha256.

    Raises:
        UnknownModelError: (a KeyError) unknown name; the message lists the available ones.
        FileNotFoundError: the config or weights file is missing.
        ValueError: the weights' sha256 differs from the metafile's.
    """
    models = load_model_index(root)
    model = models.get(name) or next((m for m in models.values() if m.name == name), None)
    if model is None:
        names = ', '.join(models) or '(none)'
        raise UnknownModelError(f'unknown model "{name}"; the zoo has: {names} '
                                '(or give a config file path)')
    for what, path in (('config', model.config), ('weights', model.weights)):
        if not osp.isfile(path):
            raise FileNotFoundError(f'model zoo: {what} file of "{model.alias}" not found: '
                                    f'{path}')
    if verify:
        actual = file_sha256(model.weights)
        if actual != model.sha256:
            raise ValueError(f'model zoo: {model.weights} has sha256 {actual}, the metafile '
                             f'says {model.sha256} (corrupt or replaced file)')
    return model


def resolve_model(config: str, checkpoint: Optional[str] = None,
                  root: Optional[str] = None) -> Tuple[str, Optional[str]]:
    """``(config, checkpoint)`` for a config path or a zoo name.

    An existing file or a ``.py`` path is a config and is returned as is (with ``checkpoint``);
    anything else is looked up in the zoo, and ``checkpoint`` (if given) overrides its weights.

    Example:
        >>> resolve_model('configs/x.py', 'w.pth')
        ('configs/x.py', 'w.pth')
    """
    config = os.fspath(config)
    if osp.isfile(config) or config.endswith('.py'):
        return config, checkpoint
    model = get_model(config, root)
    return model.config, checkpoint or model.weights
