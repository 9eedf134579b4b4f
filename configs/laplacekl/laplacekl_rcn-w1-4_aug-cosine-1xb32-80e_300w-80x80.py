# RCN-1/4 + LaplaceKL, the user recipe (augmentation, cosine schedule, flip test) at 80 epochs
# (what fits one CPU core in a session beside the 1/8 run): 4.59% LFPW NME, retired from the
# zoo (rcn-w1-4 is the step recipe, 3.74%; docs/model_zoo.md).
_base_ = ['../_base_/rcn_user_300w-80x80.py']

max_epochs = 80
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5, by_epoch=True,
         begin=1, end=max_epochs, convert_to_iter_based=True),
]
model = dict(backbone=dict(width=0.25))
