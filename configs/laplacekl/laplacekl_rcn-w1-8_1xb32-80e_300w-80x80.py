# The paper's protocol (RCN-1/8 + LaplaceKL, no augmentation, Adam 1e-3 constant) for 80 epochs
# instead of 200: the budget of the zoo model rcn-w1-8-paper (docs/model_zoo.md).
_base_ = ['./laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py']

train_cfg = dict(max_epochs=80)
