"""Optimizer wrappers for the generator and the discriminator of adversarial estimators."""
from typing import Optional

from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapperDict
from mmpose.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn

GENERATOR, DISCRIMINATOR = 'generator', 'discriminator'


def generator_view(model: nn.Module, exclude: str = DISCRIMINATOR) -> nn.Module:
    """A container holding every child (and direct parameter) of ``model`` but ``exclude``.

    The container only references the modules (nothing is copied or re-registered in
    ``model``), so parameter names stay ``backbone.*``, ``head.*``... for ``paramwise_cfg``.
    """
    view = nn.Module()
    for name, child in model.named_children():
        if name != exclude:
            view.add_module(name, child)
    for name, param in model.named_parameters(recurse=False):
        view.register_parameter(name, param)
    return view


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class GANOptimWrapperConstructor:
    """Build ``OptimWrapperDict(generator=..., discriminator=...)`` for GAN-style estimators.

    The generator of a pose estimator is not one submodule (it is backbone + neck + head), so
    unlike mmagic's ``MultiOptimWrapperConstructor`` (one wrapper per submodule), the
    ``generator`` wrapper owns **all parameters except the discriminator's** and the
    ``discriminator`` wrapper owns ``model.discriminator``'s. Each wrapper is built by MMEngine's
    :class:`DefaultOptimWrapperConstructor` from its own config (``type``, e.g.
    ``AmpOptimWrapper`` for ``--amp``, ``optimizer``, ``clip_grad``...), with its own
    ``paramwise_cfg`` or else the top-level one.

    Example config::

        optim_wrapper = dict(
            constructor='GANOptimWrapperConstructor',
            generator=dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5)),
            discriminator=dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.5, 0.999))))

    Args:
        optim_wrapper_cfg (dict): ``generator`` and ``discriminator`` wrapper configs.
        paramwise_cfg (dict, optional): Default ``paramwise_cfg`` of both wrappers.
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        if not isinstance(optim_wrapper_cfg, dict):
            raise TypeError('GANOptimWrapperConstructor: optim_wrapper_cfg must be a dict, got '
                            f'{type(optim_wrapper_cfg).__name__}')
        keys = set(optim_wrapper_cfg)
        if keys != {GENERATOR, DISCRIMINATOR}:
            raise ValueError(
                'GANOptimWrapperConstructor: optim_wrapper must have exactly the keys '
                f'"generator" and "discriminator" (plus "constructor"), got {sorted(keys)}')
        self.constructors = {}
        for name in (GENERATOR, DISCRIMINATOR):
            cfg = dict(optim_wrapper_cfg[name])
            if 'optimizer' not in cfg:
                raise ValueError(f'GANOptimWrapperConstructor: optim_wrapper.{name} needs an '
                                 '"optimizer" config')
            own_paramwise = cfg.pop('paramwise_cfg', None)
            self.constructors[name] = DefaultOptimWrapperConstructor(
                cfg, own_paramwise if own_paramwise is not None else paramwise_cfg)

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        """Build the wrappers for ``model`` (or the model inside a model wrapper)."""
        if hasattr(model, 'module'):
            model = model.module
        discriminator = getattr(model, DISCRIMINATOR, None)
        if not isinstance(discriminator, nn.Module):
            raise AttributeError(
                f'GANOptimWrapperConstructor: {type(model).__name__} has no "discriminator" '
                'submodule')
        generator = generator_view(model)
        if next(generator.parameters(), None) is None:
            raise ValueError('GANOptimWrapperConstructor: the generator has no parameters')
        return OptimWrapperDict(
            generator=self.constructors[GENERATOR](generator),
            discriminator=self.constructors[DISCRIMINATOR](discriminator))
