# Shared setup steps for the scripts in this folder (source it; do not run it).
# Installs what is missing on a Debian/Ubuntu machine and nothing else.

_sudo() {
    if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# uv, from PyPI with pip when it is not on PATH yet.
ensure_uv() {
    export PATH="$HOME/.local/bin:$PATH"
    command -v uv >/dev/null && return
    echo "installing uv with pip ..."
    if ! python3 -m pip --version >/dev/null 2>&1; then
        _sudo apt-get update -q
        _sudo apt-get install -y -q python3-pip
    fi
    # Debian marks its Python as externally managed: a --user install of one
    # tool is what that marker allows to override.
    python3 -m pip install --user -q uv 2>/dev/null \
        || python3 -m pip install --user -q --break-system-packages uv
}

# Debian's rabbitmq-server, used to start private broker nodes (never the system service).
ensure_rabbitmq() {
    [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] && return
    echo "installing rabbitmq-server with apt-get ..."
    _sudo apt-get update -q
    _sudo apt-get install -y -q rabbitmq-server
}
