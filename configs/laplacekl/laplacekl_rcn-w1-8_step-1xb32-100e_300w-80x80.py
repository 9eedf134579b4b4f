# The paper's protocol (RCN-1/8 + LaplaceKL, no augmentation, Adam 1e-3) for 80 epochs, then
# one step decay: lr x 0.1 for 20 more epochs (MMPose's step schedules end the same way). The
# first 80 epochs are exactly laplacekl_rcn-w1-8_1xb32-80e_300w-80x80.py.
_base_ = ['./laplacekl_rcn-w1-8_1xb32-200e_300w-80x80.py']

train_cfg = dict(max_epochs=100)
param_scheduler = [dict(type='MultiStepLR', milestones=[80], gamma=0.1, by_epoch=True)]
