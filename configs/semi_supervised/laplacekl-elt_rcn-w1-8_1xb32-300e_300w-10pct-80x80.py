# Label-scarce protocol, 10 % labels: RCN-1/8 + LaplaceKL + ELT (Honari et al.) on the
# unlabeled faces and 8 labeled images per batch (pixel distance, weight 0.1, ramped in over
# the first 20 epochs).
_base_ = ['../_base_/label_scarce_300w-80x80.py', '../_base_/models/equivariance_components.py']

model = {{_base_.equivariance_model}}
train_cfg = {{_base_.semi_supervised_train_cfg}}
