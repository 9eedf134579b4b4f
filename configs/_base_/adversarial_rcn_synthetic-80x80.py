# Adversarial semi-supervised training (models/adversarial_components.py) on top of the
# paper's protocol on the built-in synthetic faces (rcn_paper_synthetic-80x80.py).
_base_ = ['./rcn_paper_synthetic-80x80.py', './models/adversarial_components.py']

model = {{_base_.adversarial_model}}
optim_wrapper = {{_base_.gan_optim_wrapper}}
model_wrapper_cfg = {{_base_.separate_ddp}}
train_cfg = {{_base_.semi_supervised_loop}}
