# RCN-1/8 + LaplaceKL, the user recipe (augmentation, cosine schedule, flip test): 5.67% LFPW
# NME after 100 epochs, retired from the zoo (rcn-w1-8 is the step recipe, docs/model_zoo.md).
_base_ = ['../_base_/rcn_user_300w-80x80.py']

model = dict(backbone=dict(width=0.125))
