# Softargmax+D(10K): RCN (1/4 width) + the soft-argmax loss L_SAM (eq. 1, 6) + adversarial
# training with 10,000 unlabeled faces (paper Table 2).
_base_ = ['../_base_/adversarial_rcn_300w-80x80.py']

model = dict(
    backbone=dict(width=0.25),
    head=dict(loss=dict(_delete_=True, type='SoftArgmaxLoss', use_target_weight=True)))
