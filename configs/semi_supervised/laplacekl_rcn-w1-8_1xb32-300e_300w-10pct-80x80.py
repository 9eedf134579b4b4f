# Supervised-only baseline of the label-scarce protocol: RCN-1/8 + LaplaceKL on 10 % of the
# 300W subset's faces (201, seed 0), 300 epochs of 7 batches (2,100 iterations).
_base_ = ['../_base_/label_scarce_300w-80x80.py']
