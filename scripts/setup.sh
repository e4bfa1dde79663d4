#!/usr/bin/env bash
# One-time (and idempotent) setup: Debian tools, a virtual environment with pinned packages,
# the suite itself in editable mode, DVC analytics off. Reruns reinstall only when a
# requirements file or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v chromium >/dev/null || missing+=(chromium)  # renders reports/index.html in the browser test
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: ${missing[*]} missing and not root; install with:"
    echo "    sudo apt-get install -y ${missing[*]}"
    echo "setup: continuing (MiniTalk then uses its formant-synthesis fallback; PyAV/imageio-ffmpeg cover video IO; the browser test of the report is skipped)"
  fi
fi

stamp="$VENV/.requirements.sha256"
want=$(cat requirements/*.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: building $VENV (a few minutes the first time)"
  "$PYTHON" -m venv "$VENV"
  pip="$VENV/bin/python -m pip --disable-pip-version-check -q"
  $pip install -r requirements/torch.txt
  $pip install -r requirements/base.txt
  # These pin an old torch or another OpenCV build in their metadata: see requirements/nodeps.txt.
  $pip install --no-deps -r requirements/nodeps.txt
  $pip install --no-deps --no-build-isolation -e .
  echo "$want" > "$stamp"
fi

if [ -d .dvc ]; then "$VENV/bin/dvc" config core.analytics false >/dev/null; fi
echo "setup: ready ($VENV)"
