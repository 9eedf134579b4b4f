"""Tests of the unlabeled-folder preparer (the paper's square crops from 5 landmarks)."""
import cv2
import numpy as np
import pytest
from converter_helpers import write_image
from mmengine.registry import DefaultScope

from mmlaplace.datasets.converters.five_point_crops import (
    MANIFEST,
    crop_square,
    prepare_unlabeled_faces,
    read_five_point_file,
)
from mmlaplace.datasets.unlabeled_face_dataset import UnlabeledFaceDataset, five_point_crop

# eyes, nose, mouth corners: box x 20..30, y 16..24 -> square side 20 about (25, 20)
POINTS = np.array([[20, 16], [30, 16], [25, 20], [21, 24], [29, 24]], dtype=np.float64)


def _line(name, points):
    return name + ' ' + ' '.join(f'{v:g}' for v in points.ravel())


def _coded_image(h=60, w=50):
    """Pixel (y, x) holds (x, y, 200): every crop pixel tells where it came from."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.stack([xs, ys, np.full_like(xs, 200)], axis=-1).astype(np.uint8)


def test_reads_celeba_and_mtcnn_formats(tmp_path):
    celeba = tmp_path / 'list_landmarks_align_celeba.txt'
    header = 'lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y ' \
             'rightmouth_x rightmouth_y'
    celeba.write_text('\n'.join(['2', header, _line('000001.jpg', POINTS),
                                 _line('000002.jpg', POINTS + 1)]) + '\n')
    entries = read_five_point_file(str(celeba))
    assert [(e[0], e[2]) for e in entries] == [('000001.jpg', 3), ('000002.jpg', 4)]
    np.testing.assert_allclose(entries[1][1], POINTS + 1)
    mtcnn = tmp_path / 'mtcnn.txt'
    mtcnn.write_text('# MTCNN\n\n' + _line('a/b.png', POINTS * 1.5) + '  # first face\n')
    (name, points, lineno), = read_five_point_file(str(mtcnn))
    assert name == 'a/b.png' and lineno == 3
    np.testing.assert_allclose(points, POINTS * 1.5)


@pytest.mark.parametrize('lines, message', [
    (['a.jpg 1 2 3'], 'line 1: expected "file x1 y1 ... x5 y5" \\(11 fields\\), got 4'),
    ([_line('a.jpg', POINTS).replace('30', 'x3')], 'line 1: non-numeric'),
    ([_line('a.jpg', POINTS).replace('30', 'inf')], 'line 1: non-finite'),
    (['a.jpg' + ' 5' * 10], 'line 1: the 5 points coincide'),
    ([_line('a.jpg', POINTS), _line('a.jpg', POINTS)], 'line 2: image a.jpg already listed'),
    (['3', _line('a.jpg', POINTS)], 'line 1: says 3 faces but the file lists 1'),
    (['# nothing'], 'lists no face'),
])
def test_malformed_landmark_files_name_file_and_line(tmp_path, lines, message):
    path = tmp_path / 'marks.txt'
    path.write_text('\n'.join(lines) + '\n')
    with pytest.raises(ValueError, match=message) as err:
        read_five_point_file(str(path))
    assert str(path) in str(err.value)


def test_crop_is_the_five_point_square_and_zero_padded():
    image = _coded_image()
    centre, side = five_point_crop(POINTS)
    assert side == 20 and tuple(centre) == (25, 20)
    crop = crop_square(image, centre, side, 20)  # no resize: the exact pixels
    np.testing.assert_array_equal(crop, image[10:30, 15:35])
    # a square reaching outside the image: zeros there, the image elsewhere
    crop = crop_square(image, np.array([2.0, 55.0]), 12.0, 12)
    np.testing.assert_array_equal(crop[:, :4], 0)
    np.testing.assert_array_equal(crop[11:, :], 0)
    np.testing.assert_array_equal(crop[:11, 4:], image[49:60, 0:8])
    # resizing keeps the content centred: 20 px -> 10 px averages 2 x 2 blocks
    small = crop_square(image, centre, side, 10)
    np.testing.assert_allclose(small[..., 0].astype(float),
                               image[10:30, 15:35, 0].reshape(10, 2, 10, 2).mean((1, 3)),
                               atol=1)


def test_prepare_writes_crops_manifest_and_loads_as_unlabeled(tmp_path):
    src = tmp_path / 'faces'
    src.mkdir()
    assert cv2.imwrite(str(src / 'a.png'), _coded_image())
    write_image(src / 'sub' / 'b.jpg', 40, 36)
    marks = tmp_path / 'marks.txt'
    marks.write_text('\n'.join([_line('a.png', POINTS), _line('sub/b.jpg', POINTS + 10)]))
    out = tmp_path / 'crops'
    report = prepare_unlabeled_faces(str(src), str(marks), str(out), size=20)
    assert report['num_faces'] == 2 and report['padded'] == 1  # b's square leaves its image
    crop = cv2.imread(str(out / 'a.png'))
    np.testing.assert_array_equal(crop, _coded_image()[10:30, 15:35])
    assert cv2.imread(str(out / 'sub' / 'b.jpg')).shape == (20, 20, 3)
    rows = [r.split() for r in (out / MANIFEST).read_text().splitlines()[1:]]
    assert rows == [['a.png', '25.000', '20.000', '20.000'],
                    ['sub/b.jpg', '35.000', '30.000', '20.000']]
    with DefaultScope.overwrite_default_scope('mmpose'):
        ds = UnlabeledFaceDataset(data_root=str(out), pipeline=[])
        assert len(ds) == 2
        np.testing.assert_allclose(ds.get_data_info(0)['bbox_scale'], [[20, 20]])
    # other extension, limit
    report = prepare_unlabeled_faces(str(src), str(marks), str(tmp_path / 'png'), size=8,
                                     ext='.png', limit=1)
    assert report['num_faces'] == 1 and (tmp_path / 'png' / 'a.png').is_file()


def test_prepare_errors(tmp_path):
    src = tmp_path / 'faces'
    write_image(src / 'a.jpg')
    marks = tmp_path / 'marks.txt'
    marks.write_text(_line('a.jpg', POINTS) + '\n' + _line('gone.jpg', POINTS) + '\n')
    out = tmp_path / 'out'
    with pytest.raises(FileNotFoundError, match=r'marks.txt, line 2: image .*gone.jpg not found'):
        prepare_unlabeled_faces(str(src), str(marks), str(out))
    assert not out.exists()  # nothing written before all images are checked
    marks.write_text(_line('../a.jpg', POINTS) + '\n')
    with pytest.raises(ValueError, match='line 1: image paths must be relative'):
        prepare_unlabeled_faces(str(src), str(marks), str(out))
    (src / 'broken.jpg').write_text('not an image')
    marks.write_text(_line('broken.jpg', POINTS) + '\n')
    with pytest.raises(OSError, match='line 1: cannot decode image'):
        prepare_unlabeled_faces(str(src), str(marks), str(out))
    with pytest.raises(ValueError, match='size must be a positive int'):
        prepare_unlabeled_faces(str(src), str(marks), str(out), size=0)
    with pytest.raises(FileNotFoundError, match='image folder'):
        prepare_unlabeled_faces(str(tmp_path / 'none'), str(marks), str(out))
