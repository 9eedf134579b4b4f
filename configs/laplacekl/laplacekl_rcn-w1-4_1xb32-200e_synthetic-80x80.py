# RCN (1/4 width) + LaplaceKL, the paper's protocol on the built-in synthetic faces
# (python tools/generate_synthetic_faces.py --out-dir data/synthetic_faces).
_base_ = ['../_base_/rcn_paper_synthetic-80x80.py']

model = dict(backbone=dict(width=0.25))
