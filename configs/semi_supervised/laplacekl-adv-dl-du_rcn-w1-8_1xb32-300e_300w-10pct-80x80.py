# The d_l = d_u control of the adversarial method (issue 19): the "unlabeled" stream is the
# 201 labeled faces themselves (their boxes, no labels), so D compares G's maps with the
# ground truth on the same images: any gain is the adversarial term's, not the unlabeled data's.
_base_ = ['./laplacekl-adv_rcn-w1-8_1xb32-300e_300w-10pct-80x80.py']

train_cfg = dict(
    unlabeled_dataloader=dict(dataset=dict(
        _delete_=True,
        type='UnlabeledFaceDataset',
        data_root={{_base_.protocol_root}},
        ann_file='f10_s0_labeled_boxes.txt',
        data_prefix=dict(img='images/'),
        pipeline={{_base_.val_pipeline}})))
