# The paper's protocol (RCN-1/4 + LaplaceKL, no augmentation, Adam 1e-3) for 60 epochs, then
# one step decay: lr x 0.1 for 15 more epochs; sized to one CPU core in one session.
_base_ = ['./laplacekl_rcn-w1-4_1xb32-200e_300w-80x80.py']

train_cfg = dict(max_epochs=75)
param_scheduler = [dict(type='MultiStepLR', milestones=[60], gamma=0.1, by_epoch=True)]
