"""Draw heatmaps and landmark uncertainty of validation / test faces into the vis backends."""
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmpose.registry import HOOKS
from mmpose.structures import PoseDataSample

from ...visualization import (
    MISSING_HEATMAPS,
    draw_heatmaps,
    draw_uncertainty,
    sample_to_crop,
    save_rgb,
)


@HOOKS.register_module()
class LandmarkUncertaintyVisualizationHook(Hook):
    """Draw every ``interval``-th validation / test face: heatmaps and uncertainty.

    For each drawn face two RGB figures go to the runner's visualizer
    (``visualizer.add_image(name, image, step)``, hence to every configured vis backend:
    ``LocalVisBackend`` PNGs under ``<work_dir>/<timestamp>/vis_data/vis_image``,
    ``TensorboardVisBackend`` when tensorboard is installed, ...):

    - ``*_heatmaps``: all K predicted heatmaps superimposed on the input crop, with a colour
      bar (paper Fig. 1 / 3);
    - ``*_uncertainty``: predictions over the ground truth, each with an axis-aligned ellipse
      whose half-axes are its predicted Laplace scales ``pred_instances.keypoint_scales``
      (paper Fig. 5).

    Names and steps follow MMPose's ``PoseVisualizationHook``: in validation the image names
    are ``val_heatmaps_<i>`` / ``val_uncertainty_<i>`` (``i`` the face's index in the
    validation set) at step ``runner.iter``, so a backend shows how one face evolves during
    training; in test they are ``test_heatmaps`` / ``test_uncertainty`` at step ``i``. With
    ``out_dir`` the test figures are written as ``<stem>_<i>_heatmaps.png`` /
    ``<stem>_<i>_uncertainty.png`` into ``<work_dir>/<timestamp>/<out_dir>`` instead (like
    MMPose's ``--show-dir``).

    The heatmaps must be among the predictions: the model needs
    ``test_cfg.output_heatmaps=True`` (the mmlaplace RCN configs set it); otherwise the hook
    stops the run with an error saying so. Heads without ``keypoint_scales`` get no ellipses.

    Args:
        enable (bool): Whether to draw at all. Defaults to False, as MMPose's hook.
        interval (int): Draw faces ``0, interval, 2 * interval, ...`` of each val / test run.
            Defaults to 50.
        scale_factor (float): Multiplier of the ellipses' half-axes. Defaults to 1.
        out_dir (str, optional): Test-time output folder, relative to
            ``<work_dir>/<timestamp>`` (or absolute). Defaults to None (use the backends).
        dpi (int): Pixels per inch of the figures (a face panel is 1.7 inches).

    Example:
        >>> # in a config, replacing MMPose's default visualization hook
        >>> default_hooks = dict(visualization=dict(
        ...     type='LandmarkUncertaintyVisualizationHook', enable=True, interval=20))
        >>> # or on the command line of tools/test.py / tools/train.py
        >>> # --cfg-options default_hooks.visualization.type=LandmarkUncertaintyVisualizationHook
        >>> #               default_hooks.visualization.enable=True
    """

    priority = 'NORMAL'

    def __init__(self,
                 enable: bool = False,
                 interval: int = 50,
                 scale_factor: float = 1.0,
                 out_dir: Optional[str] = None,
                 dpi: int = 100) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'{type(self).__name__}: interval must be a positive int, got '
                             f'{interval!r}')
        if scale_factor <= 0:
            raise ValueError(f'{type(self).__name__}: scale_factor must be > 0, got '
                             f'{scale_factor}')
        self.enable = enable
        self.interval = interval
        self.scale_factor = scale_factor
        self.out_dir = out_dir
        self.dpi = dpi
        self._index = 0
        self._out_path: Optional[str] = None
        self._warned_scales = False

    # -- check the heatmaps are predicted (before training, not at the first validation) --
    def before_run(self, runner: Runner) -> None:
        self._check_heatmaps(runner, 'run')

    # -- epochs: reset the face counter -----------------------------------------------------
    def before_val_epoch(self, runner: Runner) -> None:
        self._start(runner, 'val')

    def before_test_epoch(self, runner: Runner) -> None:
        self._start(runner, 'test')
        if self.enable and self.out_dir is not None:
            self._out_path = self.out_dir if osp.isabs(self.out_dir) else osp.join(
                runner.work_dir, runner.timestamp, self.out_dir)
            os.makedirs(self._out_path, exist_ok=True)

    def _start(self, runner: Runner, mode: str) -> None:
        self._index = 0
        self._check_heatmaps(runner, mode)

    def _check_heatmaps(self, runner: Runner, mode: str) -> None:
        if not self.enable:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        test_cfg = getattr(model, 'test_cfg', None) or {}
        if not test_cfg.get('output_heatmaps', False):
            raise ValueError(f'{type(self).__name__} ({mode}): the model does not output '
                             f'heatmaps; {MISSING_HEATMAPS}')

    # -- iterations: draw every interval-th face ------------------------------------------
    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence[PoseDataSample]) -> None:
        """Draw the batch's faces whose validation index is a multiple of ``interval``."""
        self._draw_batch(runner, 'val', data_batch, outputs)

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[PoseDataSample]) -> None:
        """Draw the batch's faces whose test index is a multiple of ``interval``."""
        self._draw_batch(runner, 'test', data_batch, outputs)

    def _draw_batch(self, runner: Runner, mode: str, data_batch: dict,
                    outputs: Sequence[PoseDataSample]) -> None:
        if not self.enable or not is_main_process():  # the backends write on rank 0 only
            return
        inputs = data_batch['inputs']
        if len(inputs) != len(outputs):
            raise ValueError(f'{type(self).__name__}: {len(inputs)} inputs but '
                             f'{len(outputs)} outputs in the {mode} batch')
        for crop_input, sample in zip(inputs, outputs):
            index = self._index
            self._index += 1
            if index % self.interval:
                continue
            try:
                crop = sample_to_crop(crop_input, sample)
            except ValueError as e:
                raise ValueError(f'{type(self).__name__} ({mode}): {e}') from e
            if crop['scales'] is None and not self._warned_scales:
                self._warned_scales = True
                MMLogger.get_current_instance().warning(
                    f'{type(self).__name__}: the predictions have no keypoint_scales (a head '
                    'other than SoftArgmaxHead?); drawing landmarks without ellipses')
            name = osp.basename(crop['img_path'] or f'face_{index}')
            figures = dict(
                heatmaps=draw_heatmaps([crop], title=name, dpi=self.dpi),
                uncertainty=draw_uncertainty([crop], title=name, label='',
                                             scale_factor=self.scale_factor, dpi=self.dpi,
                                             legend=False))
            for kind, image in figures.items():
                if mode == 'val':
                    runner.visualizer.add_image(f'val_{kind}_{index}', image, step=runner.iter)
                elif self._out_path is not None:
                    save_rgb(image, osp.join(self._out_path,
                                             f'{osp.splitext(name)[0]}_{index}_{kind}.png'))
                else:
                    runner.visualizer.add_image(f'test_{kind}', image, step=index)
