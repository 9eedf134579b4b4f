# RCN (full width) + SoftArgmaxHead + soft-argmax baseline L_SAM (paper eq. 1); the paper's 300W protocol.
_base_ = ['../_base_/rcn_paper_300w-80x80.py']

model = dict(head=dict(loss=dict(_delete_=True, type='SoftArgmaxLoss', use_target_weight=True)))
