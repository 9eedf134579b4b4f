"""Tiny synthetic faces and tiny configs for the reliability tests."""
from pathlib import Path

import pytest

# the helpers (tiny_config, run_training, ...) live in reliability_helpers.py: several
# conftest modules exist in tests/, so `from conftest import ...` would be ambiguous


@pytest.fixture(scope='session')
def tiny_faces(tmp_path_factory) -> Path:
    """8 labeled train, 4 test and 8 unlabeled 80 x 80 synthetic faces (~2 s)."""
    from mmlaplace.datasets import generate_dataset
    root = tmp_path_factory.mktemp('tiny_faces')
    generate_dataset(str(root), num_train=8, num_test=4, num_test_hard=0, num_unlabeled=8,
                     image_size=80, num_workers=0)
    return root

