# LaplaceKL+D(70K) at full width: the paper's best model (300W full NME 3.91, Table 2).
_base_ = ['../_base_/adversarial_rcn_300w-80x80.py']

model = dict(
    backbone=dict(width=1.0),
    head=dict(loss=dict(type='LaplaceKLLoss', target_scale=1.0, use_target_weight=True)))
train_cfg = dict(unlabeled_dataloader=dict(dataset=dict(num_unlabeled=70000)))
