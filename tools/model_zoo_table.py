"""Print the model zoo's markdown table (README / docs/model_zoo.md) from the metafiles.

python tools/model_zoo_table.py
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmlaplace.utils.model_publishing import zoo_table_markdown  # noqa: E402
from mmlaplace.utils.model_zoo import load_model_index  # noqa: E402

if __name__ == '__main__':
    sys.stdout.write(zoo_table_markdown(load_model_index()))
