# RCN (full width) + SoftArgmaxHead + LaplaceKL loss on AFLW (19 landmarks); NME / sqrt(w * h).
_base_ = ['../_base_/rcn_paper_aflw-80x80.py']

# the base's loss is LaplaceKL: nothing differs from the AFLW protocol
