#!/usr/bin/env bash
# Installs what building and testing dfpack needs on a fresh Debian machine:
# the mold linker (see .cargo/config.toml) and a C compiler. Rust comes from
# rustup; Python packages are installed by loader/python/build.sh into a venv.
set -euo pipefail

missing=()
command -v mold >/dev/null || missing+=(mold)
command -v cc >/dev/null || missing+=(gcc)
if ((${#missing[@]})); then
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi
