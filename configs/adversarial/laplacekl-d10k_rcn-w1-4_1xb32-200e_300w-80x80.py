# LaplaceKL+D(10K): RCN (1/4 width) + LaplaceKL + adversarial training with 10,000 unlabeled
# faces (paper Table 2 / 3).
_base_ = ['../_base_/adversarial_rcn_300w-80x80.py']

model = dict(
    backbone=dict(width=0.25),
    head=dict(loss=dict(type='LaplaceKLLoss', target_scale=1.0, use_target_weight=True)))
train_cfg = dict(unlabeled_dataloader=dict(dataset=dict(num_unlabeled=10000)))
