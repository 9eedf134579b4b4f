# RCN (1/4 width) + the soft-argmax baseline, the paper's protocol on the built-in synthetic
# faces.
_base_ = ['../_base_/rcn_paper_synthetic-80x80.py']

model = dict(
    backbone=dict(width=0.25),
    head=dict(loss=dict(_delete_=True, type='SoftArgmaxLoss', use_target_weight=True)))
