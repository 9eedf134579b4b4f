# The paper's schedule (Robinson et al., ICCV 2019, Sec. 4): Adam lr 1e-3, weight decay 1e-5,
# 200 epochs without lr drop, validation every 10 epochs.
_base_ = ['../default_runtime.py']

train_cfg = dict(max_epochs=200, val_interval=10)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=1e-5))
param_scheduler = []  # constant learning rate, as in the paper
auto_scale_lr = dict(base_batch_size=32)
