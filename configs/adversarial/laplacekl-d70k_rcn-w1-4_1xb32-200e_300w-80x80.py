# LaplaceKL+D(70K): RCN (1/4 width) + LaplaceKL + adversarial training with 70,000 unlabeled
# faces (paper Table 3; fewer images in the folder: all are used, with a warning).
_base_ = ['./laplacekl-d10k_rcn-w1-4_1xb32-200e_300w-80x80.py']

train_cfg = dict(unlabeled_dataloader=dict(dataset=dict(num_unlabeled=70000)))
