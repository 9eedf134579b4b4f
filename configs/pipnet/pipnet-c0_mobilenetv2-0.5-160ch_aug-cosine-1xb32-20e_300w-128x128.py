# pipnet_mobilenetv2-0.5-160ch_... without neighbour regression (C = 0): the fastest PIPHead
# of the head comparison; scales from the softmaxed score maps.
_base_ = ['./pipnet_mobilenetv2-0.5-160ch_aug-cosine-1xb32-20e_300w-128x128.py']

codec = dict(type='PIPLabel', input_size=(128, 128), heatmap_size=(4, 4))
model = dict(head=dict(decoder=dict(_delete_=True, **codec)))  # no neighbor_indices
