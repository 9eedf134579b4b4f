"""Inference on images / videos, crop predictions, ONNX export (see each module)."""
from .box_files import load_box_file, lookup_boxes
from .crop_predictions import image_to_crop, predict_crops
from .dlib_face_detection import DlibHogFaceDetector, DlibMmodFaceDetector
from .face_detection import (
    FaceBoxTransform,
    FaceDetector,
    HaarFaceDetector,
    YuNetFaceDetector,
    build_face_detector,
    whole_image_box,
)
from .face_drawing import draw_faces
from .face_landmarker import FaceLandmarker, face_to_json
from .face_tracking import FaceTrack, FaceTracker
from .landmark_filters import (
    KalmanLandmarkFilter,
    LandmarkFilter,
    OneEuroFilter,
    PassThroughFilter,
    build_landmark_filter,
)
from .mtcnn_face_detection import MtcnnFaceDetector
from .onnx_export import LandmarkOnnxWrapper, OnnxInputSpec, export_onnx

__all__ = [
    'image_to_crop', 'predict_crops', 'FaceLandmarker', 'face_to_json', 'FaceBoxTransform',
    'FaceDetector', 'HaarFaceDetector', 'YuNetFaceDetector', 'build_face_detector',
    'whole_image_box', 'load_box_file', 'lookup_boxes', 'draw_faces', 'OnnxInputSpec',
    'LandmarkOnnxWrapper', 'export_onnx', 'FaceTrack', 'FaceTracker', 'LandmarkFilter',
    'PassThroughFilter', 'OneEuroFilter', 'KalmanLandmarkFilter', 'build_landmark_filter',
    'DlibHogFaceDetector', 'DlibMmodFaceDetector', 'MtcnnFaceDetector'
]
