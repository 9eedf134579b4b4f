# LaplaceKL+D(10K): RCN (1/4 width) + LaplaceKL + adversarial training with 10,000 unlabeled
# faces (paper Table 2 / 3).
_base_ = ['../_base_/adversarial_rcn_300w-80x80.py']

model = dict(backbone=dict(width=0.25))
