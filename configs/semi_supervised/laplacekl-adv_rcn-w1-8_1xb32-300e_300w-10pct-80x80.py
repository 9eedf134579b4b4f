# Label-scarce protocol, 10 % labels: RCN-1/8 + LaplaceKL + the adversarial term (Robinson et
# al.) with the stabilized recipe (non-saturating, label smoothing, spectral norm, annealed
# instance noise; adversarial_components.py) on the unlabeled faces, 8 per iteration.
_base_ = ['../_base_/label_scarce_300w-80x80.py', '../_base_/models/adversarial_components.py']

model = {{_base_.stabilized_adversarial_model}}
optim_wrapper = {{_base_.gan_optim_wrapper}}
model_wrapper_cfg = {{_base_.separate_ddp}}
train_cfg = {{_base_.semi_supervised_train_cfg}}
