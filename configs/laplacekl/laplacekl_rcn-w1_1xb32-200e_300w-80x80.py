# RCN (full width) + SoftArgmaxHead + LaplaceKL loss (paper eq. 3); the paper's 300W protocol.
_base_ = ['../_base_/rcn_paper_300w-80x80.py']

# the base is RCN at full width with LaplaceKL: nothing differs from the protocol
