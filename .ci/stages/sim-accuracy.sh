#!/usr/bin/env bash
# The simulator's long statistical checks (closed-form M/M/c and the
# three-tier Jackson chain at one million requests, utilisation against the
# estimator on every example, the estimator's class p99 on designs with
# shares), optimised, outside the ordinary test run.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test --release --test sim_queueing --test sim_examples --test sim_p99 -- --ignored
