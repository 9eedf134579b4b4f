# PIPHead without neighbour regression (C = 0): the ablation of the neighbour regression
# module; scales from the softmaxed score maps (PIPLabel's scale_mode='score_softmax').
_base_ = ['./pipnet_mobilenetv2-0.5_aug-cosine-1xb32-20e_300w-128x128.py']

codec = dict(type='PIPLabel', input_size=(128, 128), heatmap_size=(4, 4))
model = dict(head=dict(decoder=dict(_delete_=True, **codec)))  # no neighbor_indices
