# Label-scarce protocol, 10 % labels: RCN-1/8 + LaplaceKL + STC (PIPNet's self-training with
# curriculum, the curriculum on the pseudo-labels' target scale) on the unlabeled faces.
_base_ = ['../_base_/label_scarce_300w-80x80.py', '../_base_/models/self_training_components.py']

model = {{_base_.self_training_model}}
train_cfg = {{_base_.semi_supervised_train_cfg}}
