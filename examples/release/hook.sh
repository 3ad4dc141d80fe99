#!/usr/bin/env bash
# A stand-in for real deployment scripts: records each call of the command adapter in
# examples/release/state/<environment>.log (what a real hook would do to a fleet).
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/state"
mkdir -p "$dir"
line="$(date -u +%FT%TZ) ${SLIPWAY_ACTION} weight=${SLIPWAY_WEIGHT} version=${SLIPWAY_VERSION:0:12}"
echo "$line" >>"$dir/${SLIPWAY_ENVIRONMENT}.log"
echo "$line"
