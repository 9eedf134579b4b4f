# RCN (full width) + SoftArgmaxHead + soft-argmax baseline on AFLW (19 landmarks).
_base_ = ['../_base_/rcn_paper_aflw-80x80.py']

model = dict(head=dict(loss=dict(_delete_=True, type='SoftArgmaxLoss', use_target_weight=True)))
