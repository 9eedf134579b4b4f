# RCN (full width) + SoftArgmaxHead + LaplaceKL loss on AFLW (19 landmarks); NME / sqrt(w * h).
_base_ = ['../_base_/rcn_paper_aflw-80x80.py']

model = dict(head=dict(loss=dict(type='LaplaceKLLoss', target_scale=1.0, use_target_weight=True)))
