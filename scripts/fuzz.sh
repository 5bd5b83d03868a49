#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of untrusted bytes (issue 18; docs/fuzzing.md).
#
#   scripts/fuzz.sh install            cargo-fuzz on the nightly toolchain (once, minutes)
#   scripts/fuzz.sh seeds              fill fuzz/corpus/<target>/ from samples + fixtures
#   scripts/fuzz.sh build              build every target (nightly, ASan)
#   scripts/fuzz.sh run TARGET [SECS]  fuzz one target (default 120 s)
#   scripts/fuzz.sh all [SECS]         fuzz every target in turn, one table line each
#   scripts/fuzz.sh list               the target names
#
# Seeds are copied at run time from $STIGPACK_SHARED_DIR/samples (default ../shared
# beside the checkout) and fixtures/; they are never committed (fuzz/corpus is ignored).
# A crash lands in fuzz/artifacts/<target>/: minimise it (cargo +nightly fuzz tmin), put
# it under fuzz/regressions/<target>/, fix the parser, and the stable replay
# (cargo test -p stigpack-fuzz-entries) keeps it fixed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$repo/fuzz"
shared="${STIGPACK_SHARED_DIR:-$repo/../shared}"
samples="$shared/samples"
toolchain="${STIGPACK_FUZZ_TOOLCHAIN:-nightly}"
rss_mb="${STIGPACK_FUZZ_RSS_MB:-2048}"
# address (the default: catches memory errors in dependencies' unsafe code) or none
# (coverage only: more executions a second, a much shorter build).
sanitizer="${STIGPACK_FUZZ_SANITIZER:-address}"
# Extra cargo-fuzz build options, the same for build and run so that run does not rebuild:
# e.g. -O (release without debug assertions, like the shipped binary).
build_opts=(${STIGPACK_FUZZ_BUILD_OPTS:-})
# One target directory for fuzz builds, apart from the stable builds' (different flags).
export CARGO_TARGET_DIR="${STIGPACK_FUZZ_TARGET_DIR:-$fuzz/target}"

die() { echo "fuzz.sh: $*" >&2; exit 2; }

targets() {
    sed -n 's/^name = "\(.*\)"$/\1/p' "$fuzz/Cargo.toml" | grep -v '^stigpack-fuzz$'
}

# seed TARGET FILE...: copy existing files into the target's corpus.
seed() {
    local t="$1"; shift
    mkdir -p "$fuzz/corpus/$t"
    local f
    for f in "$@"; do
        [ -f "$f" ] && cp -f "$f" "$fuzz/corpus/$t/$(basename "$f")"
    done
    return 0
}

seeds() {
    [ -d "$samples" ] || die "no samples at $samples (set STIGPACK_SHARED_DIR)"
    shopt -s nullglob globstar
    local ckl=("$samples"/ckl/*.ckl "$repo"/fixtures/scans/**/*.ckl)
    for t in ckl ckl_reference ckl_fast ckl_differential import_classify; do seed "$t" "${ckl[@]}"; done
    seed cklb "$samples"/cklb/*.cklb "$repo"/fixtures/scans/**/*.cklb
    seed import_classify "$samples"/cklb/*.cklb "$samples"/results/*.xml
    seed xccdf_benchmark "$samples"/xccdf/*.xml "$repo"/fixtures/benchmarks/*.xml
    seed xccdf_results "$samples"/results/*.xml "$repo"/fixtures/scans/**/*Results*.xml
    seed evaluate_stig_summary "$samples"/evaluate-stig/*.xml
    seed poam_layout "$repo"/components/stig-formats/src/poam/layouts/*.json
    seed poam_template "$repo"/components/stig-formats/src/poam/templates/*.json
    seed xlsx_poam "$samples"/poam/*.xlsx
    seed soap_response "$samples"/winrm/**/*.xml
    # Every regression input is also a seed of its target.
    local d
    for d in "$fuzz"/regressions/*/; do seed "$(basename "$d")" "$d"*; done
    # Formats with no sample file: the small seeds in fuzz/seeds (written by hand).
    for d in "$fuzz"/seeds/*/; do seed "$(basename "$d")" "$d"*; done
    for t in $(targets); do
        echo "$t: $(find "$fuzz/corpus/$t" -type f 2>/dev/null | wc -l) seeds"
    done
}

dict_args() {
    local t="$1" d
    for d in "$fuzz/dicts/$t.dict" "$fuzz/dicts/${t%%_*}.dict"; do
        if [ -f "$d" ]; then echo "-dict=$d"; return; fi
    done
}

build() {
    (cd "$fuzz" && cargo "+$toolchain" fuzz build -s "$sanitizer" ${build_opts[@]+"${build_opts[@]}"} "$@")
}

run() {
    local t="$1" secs="${2:-120}"
    targets | grep -qx "$t" || die "no target $t (scripts/fuzz.sh list)"
    mkdir -p "$fuzz/corpus/$t" "$fuzz/artifacts/$t"
    local log="$fuzz/artifacts/$t/last-run.log"
    # shellcheck disable=SC2046
    (cd "$fuzz" && cargo "+$toolchain" fuzz run -s "$sanitizer" ${build_opts[@]+"${build_opts[@]}"} "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb="$rss_mb" -timeout=20 -max_len=1048576 \
        -print_final_stats=1 $(dict_args "$t")) 2>&1 | tee "$log" | grep -E 'Done|ERROR|SUMMARY|panicked|stat::number_of_executed_units' || true
    local execs crashes
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    crashes="$(find "$fuzz/artifacts/$t" -type f ! -name '*.log' | wc -l)"
    echo "| $t | ${execs:-?} | ${secs} s | $crashes |"
}

cmd="${1:-}"
case "$cmd" in
    install) cargo "+$toolchain" install cargo-fuzz --locked ;;
    seeds) seeds ;;
    build) shift; build "$@" ;;
    list) targets ;;
    run) [ $# -ge 2 ] || die "usage: scripts/fuzz.sh run TARGET [SECONDS]"; run "$2" "${3:-120}" ;;
    all)
        secs="${2:-120}"
        echo "| target | executions | time | crash files |"
        echo "|---|---|---|---|"
        for t in $(targets); do run "$t" "$secs" | tail -1; done
        ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
esac
