"""Box files: text lines and two JSON layouts, lookups, errors naming file and line."""
import json

import numpy as np
import pytest

from mmlaplace.apis.box_files import load_box_file, lookup_boxes


def test_text_lines(tmp_path):
    path = tmp_path / 'boxes.txt'
    path.write_text('# file x y w h\n\na.jpg 1 2 10 20\nsub/my face.png 0 0 5 5\n'
                    'a.jpg 3 4 6 8\n')
    boxes = load_box_file(str(path))
    assert set(boxes) == {'a.jpg', 'sub/my face.png'}
    np.testing.assert_allclose(boxes['a.jpg'], [[1, 2, 11, 22], [3, 4, 9, 12]])
    assert boxes['a.jpg'].dtype == np.float32


@pytest.mark.parametrize('layout', ['dict', 'list'])
def test_json_layouts(tmp_path, layout):
    data = ({'a.jpg': [[1, 2, 10, 20]], 'b.jpg': [0, 0, 4, 4]} if layout == 'dict' else
            [{'file': 'a.jpg', 'bbox': [1, 2, 10, 20]}, {'file': 'b.jpg', 'bbox': [0, 0, 4, 4]}])
    path = tmp_path / 'boxes.json'
    path.write_text(json.dumps(data))
    boxes = load_box_file(str(path))
    np.testing.assert_allclose(boxes['a.jpg'], [[1, 2, 11, 22]])
    np.testing.assert_allclose(boxes['b.jpg'], [[0, 0, 4, 4]])


@pytest.mark.parametrize('text,match', [
    ('a.jpg 1 2 3\n', 'line 1: expected "file x y w h"'),
    ('a.jpg 1 2 3 4\nb.jpg 1 2 x 4\n', 'line 2: a box must be 4 numbers'),
    ('a.jpg 1 2 0 4\n', 'line 1: box width and height must be positive'),
])
def test_bad_lines_name_file_and_line(tmp_path, text, match):
    path = tmp_path / 'boxes.txt'
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        load_box_file(str(path))
    assert 'boxes.txt' in str(info.value)


def test_bad_json_and_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.json'):
        load_box_file(str(tmp_path / 'missing.json'))
    path = tmp_path / 'boxes.json'
    path.write_text('[{"file": "a.jpg"}]')
    with pytest.raises(ValueError, match='entry 0 must be an object with "file" and "bbox"'):
        load_box_file(str(path))
    path.write_text('{"a.jpg": [[1, 2, 3]]}')
    with pytest.raises(ValueError, match='"a.jpg": a box must be 4 numbers'):
        load_box_file(str(path))


def test_lookup_by_path_basename_and_frame():
    one, two = np.ones((1, 4), np.float32), np.full((1, 4), 2, np.float32)
    boxes = {'sub/a.jpg': one, 'b.jpg': one, 'clip.mp4': one, 'clip.mp4#3': two}
    assert lookup_boxes(boxes, 'sub/a.jpg') is one
    assert lookup_boxes(boxes, 'other/b.jpg') is one
    assert lookup_boxes(boxes, 'clip.mp4', frame=3) is two
    assert lookup_boxes(boxes, 'clip.mp4', frame=4) is one
    assert lookup_boxes(boxes, 'c.jpg').shape == (0, 4)
