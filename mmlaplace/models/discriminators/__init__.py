"""Discriminators for adversarial (semi-supervised) training."""
from .heatmap_patch_discriminator import GaussianNoise, HeatmapPatchDiscriminator

__all__ = ['GaussianNoise', 'HeatmapPatchDiscriminator']
