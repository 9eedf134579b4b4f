# LaplaceKL+D(70K) at full width: the paper's best model (300W full NME 3.91, Table 2).
_base_ = ['../_base_/adversarial_rcn_300w-80x80.py']

train_cfg = dict(unlabeled_dataloader=dict(dataset=dict(num_unlabeled=70000)))
