#!/usr/bin/env bash
# Set up what citywall needs on a fresh Debian machine, then the project's venv.
#   scripts/bootstrap.sh demo   what `make demo` needs
#   scripts/bootstrap.sh test   that, plus what the test suite needs (browser, driver, fonts)
# As root, missing system packages are installed with apt-get; otherwise it says
# exactly what to install and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-test}
VENV=${VENV:-.venv}

# A command that succeeds when GStreamer (through the system Python) has the element,
# or the RTSP server library for "GstRtspServer".
gst_has() {
  if [[ $1 == GstRtspServer ]]; then
    echo "/usr/bin/python3 -c \"import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer\""
  else
    echo "/usr/bin/python3 -c \"import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst; Gst.init(None); assert Gst.ElementFactory.find('$1')\""
  fi
}

# "how to tell it is there" -> Debian package
declare -a checks=(
  "python3 -c 'import sys; assert sys.version_info >= (3, 11)'|python3"
  "python3 -c 'import venv, ensurepip'|python3-venv"
  "command -v redis-server|redis-server"
)
if [[ $profile == test ]]; then
  checks+=(
    "command -v chromium|chromium"
    "command -v chromedriver|chromium-driver"
    "command -v nginx|nginx"
    "command -v openssl|openssl"
    "command -v curl|curl"  # docs/integration.md's examples are run by a test
    # A real MQTT broker for the auto-capture tests (Debian puts it in /usr/sbin).
    "command -v mosquitto || test -x /usr/sbin/mosquitto|mosquitto"
    "command -v systemd-analyze|systemd"
    "fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'|fonts-noto-cjk"
    # A real RTSP server for the camera tests: GStreamer's, from the system Python.
    "/usr/bin/python3 -c 'import gi'|python3-gi"
    "$(gst_has GstRtspServer)|gir1.2-gst-rtsp-server-1.0"
    "$(gst_has videotestsrc)|gstreamer1.0-plugins-base"
    "$(gst_has rtph264pay)|gstreamer1.0-plugins-good"
    "$(gst_has x264enc)|gstreamer1.0-plugins-ugly"
    "$(gst_has x265enc)|gstreamer1.0-plugins-bad"  # an H.265 camera for `cameras check`
    "$(gst_has timeoverlay)|gstreamer1.0-x"
  )
fi

missing=()
for entry in "${checks[@]}"; do
  test_cmd=${entry%|*}
  package=${entry##*|}
  if ! bash -c "$test_cmd" >/dev/null 2>&1; then missing+=("$package"); fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" fontconfig >/dev/null
  else
    echo "bootstrap: missing system packages: ${missing[*]}" >&2
    echo "  install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# The venv is rebuilt when pyproject.toml changes.
stamp="$VENV/.citywall-installed"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "bootstrap: installing citywall and its Python packages into $VENV"
  [[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
  log="$VENV/pip.log"
  if ! { "$VENV/bin/python" -m pip install --upgrade pip &&
         "$VENV/bin/python" -m pip install -e '.[dev]'; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "bootstrap: pip failed (log above, also in $log)" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
