# Shared by the CI stages: find the archc binary, and install the tools a
# stage needs when they are missing. Every stage installs what it uses, so a
# fresh machine passes too; a tool that cannot be had is a loud failure,
# never a silent skip. Source it: `. "$(dirname "$0")/../lib.sh"`.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tools installed outside Debian's packages live here (Python venvs,
# unpacked .debs, npm packages), so stages share them and reruns are fast.
tools="${ARCHC_CI_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/archc-ci}"
mkdir -p "$tools"

die() {
  echo "error: $*" >&2
  exit 1
}

# The archc binary the stages run: $ARCHC, or the debug build.
archc_binary() {
  archc="${ARCHC:-$root/target/debug/archc}"
  [ -x "$archc" ] || cargo build --quiet --manifest-path "$root/Cargo.toml"
  [ -x "$archc" ] || die "$archc is not an executable; run \`cargo build\` or set ARCHC"
}

# need_apt COMMAND PACKAGE: install PACKAGE when COMMAND is not on PATH.
need_apt() {
  local cmd="$1" pkg="$2"
  command -v "$cmd" >/dev/null 2>&1 && return 0
  echo "installing $pkg (for $cmd)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null ||
      die "could not install the Debian package $pkg, which provides $cmd"
  fi
  command -v "$cmd" >/dev/null 2>&1 || die "$pkg is installed but $cmd is not on PATH"
}

# need_venv NAME SPEC...: a Python venv under $tools/NAME with SPEC
# installed (pinned versions); prints nothing, sets $venv.
need_venv() {
  local name="$1"
  shift
  venv="$tools/$name"
  local stamp="$venv/.archc-$(echo "$*" | tr ' =<>/' '_____')"
  if [ ! -e "$stamp" ]; then
    echo "installing $* into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" ||
      die "pip could not install $*"
    touch "$stamp"
  fi
}

# The pinned checkov, as $checkov.
CHECKOV_VERSION=3.3.30
need_checkov() {
  need_venv checkov "checkov==$CHECKOV_VERSION"
  checkov="$venv/bin/checkov"
  "$checkov" --version >/dev/null || die "checkov does not run"
}
