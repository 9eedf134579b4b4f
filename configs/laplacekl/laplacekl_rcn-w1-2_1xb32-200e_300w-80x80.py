# RCN (1/2 width) + SoftArgmaxHead + LaplaceKL loss (paper eq. 3); the paper's 300W protocol.
_base_ = ['../_base_/rcn_paper_300w-80x80.py']

model = dict(backbone=dict(width=0.5))
