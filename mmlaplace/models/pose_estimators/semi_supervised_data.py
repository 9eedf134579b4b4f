"""What the semi-supervised estimators share: the batch format and the runner's iteration."""
from typing import Tuple

from mmengine.logging import MessageHub


def current_iter() -> int:
    """The runner's iteration (restored by ``--resume``); 0 outside a runner."""
    return int(MessageHub.get_current_instance().get_info('iter') or 0)


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
