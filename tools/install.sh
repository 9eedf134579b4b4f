#!/usr/bin/env bash
# Set up the pinned MMPose stack and mmlaplace (editable) in .venv/ at the repository root.
#
#   bash tools/install.sh            # or: make install
#
# Idempotent: when .venv/ already holds the stack described by requirements/*.txt and this
# script, it checks the imports and exits in seconds. Works offline apart from the package
# registries. The one slow step is building mmcv 2.1.0 with its CPU ops from the source
# distribution (about 20-30 min on 2 cores); the wheel it builds is cached under
# ${MMLAPLACE_WHEEL_CACHE:-~/.cache/mmlaplace/wheels} so later installs on the same machine
# take seconds. Environment knobs:
#   PYTHON                 interpreter to create the venv with (default: python3)
#   VENV                   venv folder (default: <repo>/.venv)
#   MMLAPLACE_WHEEL_CACHE  where the built mmcv wheel is kept
#   MAX_JOBS               parallel compile jobs for mmcv (default: nproc)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv}"
WHEELS="${MMLAPLACE_WHEEL_CACHE:-$HOME/.cache/mmlaplace/wheels}"
MMCV_VERSION=2.1.0
MMDET_VERSION=3.3.0
MMPOSE_VERSION=1.3.2
XTCOCO_VERSION=1.14.3
export MAX_JOBS="${MAX_JOBS:-$(nproc)}"

log() { printf '[install %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# A stamp of everything that decides what gets installed: if it matches, nothing to do.
stamp_of() {
  cat "$ROOT/tools/install.sh" "$ROOT/requirements/"*.txt "$ROOT/setup.py" | sha256sum | cut -d' ' -f1
}
STAMP_FILE="$VENV/.mmlaplace-install-stamp"
PY="$VENV/bin/python"

check_imports() {
  "$PY" - <<'EOF'
import mmcv, mmcv.ops, mmengine, mmdet, mmpose, mmpose.models, torchvision, xtcocotools.coco  # noqa
import mmlaplace  # noqa: runs the version check
EOF
}

if [[ -f "$STAMP_FILE" && "$(cat "$STAMP_FILE")" == "$(stamp_of)" ]] && check_imports 2>/dev/null; then
  log "environment in $VENV is up to date"
  exit 0
fi

if [[ ! -x "$PY" ]]; then
  log "creating virtual environment $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$PY" -m pip --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade pip wheel

log "installing torch/torchvision and the runtime requirements (about 2 min the first time)"
"${PIP[@]}" install -q -r "$ROOT/requirements/runtime.txt" cython

# mmcv with ops: no wheel on the registry for this torch, so build the sdist.
if ! "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
  TORCH_TAG="$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')"
  CACHE_DIR="$WHEELS/torch$TORCH_TAG"
  mkdir -p "$CACHE_DIR"
  WHEEL="$(ls "$CACHE_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
  if [[ -z "$WHEEL" ]]; then
    BUILD="$(mktemp -d)"
    log "downloading the mmcv $MMCV_VERSION source distribution"
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation \
      "mmcv==$MMCV_VERSION" -d "$BUILD"
    tar -xzf "$BUILD"/mmcv-"$MMCV_VERSION".tar.gz -C "$BUILD"
    # torch >= 2.14 headers require C++20; mmcv 2.1.0 hard-codes -std=c++17.
    sed -i 's/-std=c++17/-std=c++20/g' "$BUILD/mmcv-$MMCV_VERSION/setup.py"
    log "building mmcv $MMCV_VERSION with CPU ops (MAX_JOBS=$MAX_JOBS; about 20-30 min on 2 cores)"
    ( cd "$BUILD/mmcv-$MMCV_VERSION" && MMCV_WITH_OPS=1 FORCE_CUDA=0 \
        "${PIP[@]}" wheel --no-build-isolation --no-deps -w "$CACHE_DIR" . 2>&1 \
        | while IFS= read -r line; do
            case "$line" in *Building*|*building*|*Compiling*|*Created*|*error*|*Error*) log "mmcv: ${line:0:160}";; esac
          done )
    rm -rf "$BUILD"
    WHEEL="$(ls "$CACHE_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)"
    log "built $WHEEL"
  else
    log "using cached mmcv wheel $WHEEL"
  fi
  "${PIP[@]}" install -q --no-deps "$WHEEL"
fi

log "installing mmdet $MMDET_VERSION and mmpose $MMPOSE_VERSION (--no-deps: chumpy is never imported)"
"${PIP[@]}" install -q --no-deps "mmdet==$MMDET_VERSION" "mmpose==$MMPOSE_VERSION"

if ! "$PY" -c "import xtcocotools.coco" 2>/dev/null; then
  log "building xtcocotools $XTCOCO_VERSION against the installed numpy"
  "${PIP[@]}" install -q --no-build-isolation --no-binary xtcocotools "xtcocotools==$XTCOCO_VERSION"
fi

log "installing test tools and mmlaplace (editable)"
"${PIP[@]}" install -q -r "$ROOT/requirements/tests.txt"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

check_imports
stamp_of > "$STAMP_FILE"
log "done: activate with 'source $VENV/bin/activate'"
