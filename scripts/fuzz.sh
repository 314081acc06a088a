#!/usr/bin/env bash
# Fuzzes dfpack-contracts' decoders: each target of contracts/fuzz (cargo-fuzz,
# libFuzzer; one per decoder entry point) runs for SECONDS (default 30), seeded
# from contracts/fuzz/corpus/<target>/ with the dictionary contracts/fuzz/dict/<target>.dict
# (both made by contracts/fuzz/examples/make_seeds.rs). Exits non-zero, naming the reproducer,
# if any target crashes or breaks a property.
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]     e.g. scripts/fuzz.sh 3600 from_msgpack
#
# Uses the nightly toolchain with AddressSanitizer when installed, else stable
# without a sanitizer; installs cargo-fuzz if it is missing. Builds go to $CARGO_TARGET_DIR/fuzz, outside the
# clone, as does the corpus the runs grow (…/fuzz/corpus/<target>), so repeated
# runs are incremental and campaigns pick up where the last one stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

CARGO_FUZZ_VERSION=0.13.2
seconds="${1:-30}"
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS [TARGET...]] (SECONDS a positive integer, got '$seconds')" >&2
    exit 2
fi
shift $(($# > 0 ? 1 : 0))
fuzz_dir=contracts/fuzz
fuzz_target_dir="$CARGO_TARGET_DIR/fuzz"

# AddressSanitizer needs nightly's -Z flags. Without nightly (a fresh machine
# has only stable), fuzz on stable without a sanitizer: libFuzzer's coverage
# flags are stable, and the contracts code has no `unsafe` for ASan to watch.
if rustup toolchain list | grep -q '^nightly'; then
    toolchain=+nightly
    sanitizer=address
else
    toolchain=+stable
    sanitizer=none
    echo "== fuzz: no nightly toolchain: fuzzing on stable without AddressSanitizer"
fi
# libfuzzer-sys compiles libFuzzer, which is C++.
if ! command -v c++ >/dev/null; then
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq g++
fi
if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
    # Not into the shared target dir: cargo install builds in a temporary one.
    env -u CARGO_TARGET_DIR cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo $toolchain fuzz list --fuzz-dir "$fuzz_dir")
fi
echo "== fuzz: building ${targets[*]} (target dir: $fuzz_target_dir)"
cargo $toolchain fuzz build --sanitizer "$sanitizer" --fuzz-dir "$fuzz_dir" --target-dir "$fuzz_target_dir"

failed=()
for target in "${targets[@]}"; do
    grown_corpus="$fuzz_target_dir/corpus/$target"
    artifacts="$fuzz_dir/artifacts/$target"
    log="$fuzz_target_dir/logs/$target.log"
    mkdir -p "$grown_corpus" "$artifacts" "$(dirname "$log")"
    options=(-max_total_time="$seconds" -timeout=10)
    [[ -f $fuzz_dir/dict/$target.dict ]] && options+=(-dict="$fuzz_dir/dict/$target.dict")
    stamp="$(mktemp)"
    echo "== fuzz: $target for ${seconds}s (log: $log)"
    # New inputs go to the first corpus dir (outside the clone); the checked-in
    # seeds are only read.
    if cargo $toolchain fuzz run --sanitizer "$sanitizer" --fuzz-dir "$fuzz_dir" --target-dir "$fuzz_target_dir" "$target" \
        "$grown_corpus" "$fuzz_dir/corpus/$target" -- "${options[@]}" >"$log" 2>&1; then
        grep -E '^Done [0-9]+ runs' "$log" | sed "s/^/   $target: /" || true
    else
        # The panic or sanitizer report, then what libFuzzer and cargo-fuzz said of the input.
        grep -m1 -A12 -E "panicked at|==[0-9]+==ERROR|ERROR: libFuzzer" "$log" || true
        echo "   ..."
        grep -v -E '^ +#[0-9]+ ' "$log" | tail -n 25
        failed+=("$target")
        found=$(find "$artifacts" -type f -newer "$stamp")
        if [[ -n $found ]]; then
            while read -r artifact; do
                echo "fuzz.sh: $target failed on $artifact; reproduce with:" >&2
                echo "    cargo $toolchain fuzz run --sanitizer $sanitizer --fuzz-dir $fuzz_dir --target-dir $fuzz_target_dir $target $artifact" >&2
            done <<<"$found"
        else
            echo "fuzz.sh: $target failed with no reproducer written (see $log)" >&2
        fi
    fi
    rm -f "$stamp"
done
if ((${#failed[@]})); then
    echo "fuzz.sh: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "== fuzz: ${targets[*]}: ${seconds}s each, found nothing"
