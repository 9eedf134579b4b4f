"""Run the ``>>>`` examples of every mmlaplace module as doctests (one test per module).

The modules are found with ``pkgutil.walk_packages`` over the ``mmlaplace`` package; a module
whose source holds no ``>>>`` is not collected. A module is skipped only if it cannot be
imported for lack of onnx / onnxruntime; any other import error or doctest failure fails.
"""
import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import mmlaplace

OPTIONAL_PACKAGES = ('onnx', 'onnxruntime')
OPTION_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules_with_examples() -> list:
    names = []
    for info in pkgutil.walk_packages(mmlaplace.__path__, prefix='mmlaplace.'):
        spec = importlib.util.find_spec(info.name)
        origin = getattr(spec, 'origin', None)
        if origin and origin.endswith('.py'):
            with open(origin, encoding='utf-8') as f:
                if '>>>' in f.read():
                    names.append(info.name)
    return sorted(names)


MODULES = _modules_with_examples()


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as err:
        missing = (getattr(err, 'name', None) or '').split('.')[0]
        if missing in OPTIONAL_PACKAGES:
            pytest.skip(f'{name} needs {missing}, which is not installed')
        raise


def test_modules_with_examples_are_found():
    for name in ('mmlaplace.models.losses.functional', 'mmlaplace.models.losses.laplace_kl',
                 'mmlaplace.models.utils.heatmap_stats'):
        assert name in MODULES


@pytest.mark.parametrize('name', MODULES)
def test_doctests(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = _import(name)
    tests = [t for t in doctest.DocTestFinder().find(module) if t.examples]
    if not tests:
        pytest.skip(f'the ">>>" of {name} are not in docstrings')
    report = []
    runner = doctest.DocTestRunner(optionflags=OPTION_FLAGS)
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f'{results.failed} of {results.attempted} examples of {name} ' \
        'failed:\n' + ''.join(report)
