# RCN-1/8 + LaplaceKL, the user recipe (augmentation, cosine schedule, flip test); zoo model
# rcn-w1-8 (docs/model_zoo.md).
_base_ = ['../_base_/rcn_user_300w-80x80.py']

model = dict(backbone=dict(width=0.125))
