"""The batch format of the semi-supervised estimators: ``dict(labeled=batch, unlabeled=batch)``."""
from typing import Tuple


def split_semi_supervised_data(data: dict, owner: str) -> Tuple[dict, dict]:
    """``(labeled, unlabeled)`` of a semi-supervised batch; a clear error naming ``owner`` else.

    Args:
        data (dict): ``dict(labeled=batch, unlabeled=batch)``, as fed by
            :class:`SemiSupervisedEpochBasedTrainLoop`.
        owner (str): The estimator's class name, for the message.
    """
    if not (isinstance(data, dict) and 'labeled' in data and 'unlabeled' in data):
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise TypeError(
            f'{owner}.train_step expects dict(labeled=batch, unlabeled=batch) (use train_cfg '
            f'type SemiSupervisedEpochBasedTrainLoop), got {keys}')
    return data['labeled'], data['unlabeled']
