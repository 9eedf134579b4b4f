# Adversarial semi-supervised training (models/adversarial_components.py) on top of the
# paper's 300W protocol: the RCN generator G of rcn_paper_300w-80x80.py + D, 10,000 unlabeled
# faces by default (train_cfg.unlabeled_dataloader.dataset.num_unlabeled).
_base_ = ['./rcn_paper_300w-80x80.py', './models/adversarial_components.py']

model = {{_base_.adversarial_model}}
optim_wrapper = {{_base_.gan_optim_wrapper}}
model_wrapper_cfg = {{_base_.separate_ddp}}
train_cfg = {{_base_.semi_supervised_loop}}
