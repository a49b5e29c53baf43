#!/usr/bin/env bash
# The estimator against the simulator on thousands of random designs
# (tests/sim_differential.rs), optimised, outside the ordinary test run:
# 3,000 designs at 100,000 entry requests each. Override the sizes with
# ARCHC_DIFF_CASES and ARCHC_DIFF_REQUESTS.
set -euo pipefail
cd "$(dirname "$0")/../.."
export ARCHC_DIFF_CASES="${ARCHC_DIFF_CASES:-3000}"
export ARCHC_DIFF_REQUESTS="${ARCHC_DIFF_REQUESTS:-100000}"
cargo test --release --test sim_differential -- --nocapture
