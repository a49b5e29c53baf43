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

# need_compose: Compose v2 as $compose. Debian 12 packages only Compose v1;
# Debian 13 (trixie) packages v2 as `docker-compose`. Its .deb is fetched
# with apt through a private configuration under $tools (its own sources
# list, package lists and cache), so the system's sources stay as they
# are, and unpacked there without installing it.
COMPOSE_SUITE=trixie
need_compose() {
  local dir="$tools/docker-compose-$COMPOSE_SUITE"
  compose="$dir/root/usr/libexec/docker/cli-plugins/docker-compose"
  if [ ! -x "$compose" ]; then
    echo "fetching docker-compose from Debian $COMPOSE_SUITE into $dir"
    local apt="$dir/apt"
    rm -rf "$dir"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/deb" "$dir/root"
    echo "deb http://deb.debian.org/debian $COMPOSE_SUITE main" >"$apt/sources.list"
    local opts=(
      -o "Dir::Etc::sourcelist=$apt/sources.list"
      -o "Dir::Etc::sourceparts=-"
      -o "Dir::State::Lists=$apt/lists"
      -o "Dir::Cache=$apt/cache"
      -o "APT::Get::List-Cleanup=0"
      -o "APT::Sandbox::User=root"
    )
    apt-get "${opts[@]}" update -qq >/dev/null ||
      die "apt-get update for Debian $COMPOSE_SUITE failed"
    (cd "$apt/deb" && apt-get "${opts[@]}" download -qq docker-compose >/dev/null) ||
      die "apt-get download docker-compose (Debian $COMPOSE_SUITE) failed"
    dpkg -x "$apt"/deb/docker-compose_*.deb "$dir/root" || die "dpkg -x failed"
  fi
  [ -x "$compose" ] || die "the docker-compose package has no $compose"
  compose_version="$("$compose" version --short)" || die "$compose does not run"
  case "$compose_version" in
    2.*) ;;
    *) die "$compose is Compose $compose_version, not v2" ;;
  esac
}
