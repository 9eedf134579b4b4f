# RCN (full width) + SoftArgmaxHead + Gaussian KL variant (paper Table 2); the paper's 300W protocol.
_base_ = ['../_base_/rcn_paper_300w-80x80.py']

model = dict(head=dict(loss=dict(type='GaussianKLLoss')))
