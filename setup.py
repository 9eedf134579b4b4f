"""Packaging for mmlaplace. The pinned stack is installed by ``tools/install.sh``."""
import os.path as osp

from setuptools import find_packages, setup


def get_version() -> str:
    with open(osp.join(osp.dirname(__file__), 'mmlaplace', 'version.py')) as f:
        namespace: dict = {}
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='mmlaplace',
    version=get_version(),
    description='Laplace Landmark Localization (LaplaceKL, RCN, adversarial '
    'semi-supervised training) as an MMPose 1.x plugin',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['mmlaplace', 'mmlaplace.*']),
    python_requires='>=3.9',
    install_requires=[
        'mmengine>=0.10.0,<1.0.0',
        'mmcv>=2.0.1,<2.2.0',
        'mmpose>=1.1.0,<1.4.0',
        'numpy',
    ],
    extras_require={'tests': ['pytest', 'onnx', 'onnxruntime'],
                    'benchmark': ['dlib-bin', 'face_recognition_models']},
    zip_safe=False,
)
