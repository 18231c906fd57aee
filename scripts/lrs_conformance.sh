#!/usr/bin/env bash
# The ADL LRS conformance suite against the built-in store, xAPI 1.0.3 and 2.0.0 (issue 18): a full pass
# but for the tests bench/lrs_conformance_allowlist.json names, each with its reason. The suite is read-only
# where it is kept (../shared/vendor/, or PANLEARN_LRS_SUITE): it is copied to var/ and installed there.
source "$(dirname "$0")/lib.sh"
ensure_venv requirements-test.txt

SUITE="${PANLEARN_LRS_SUITE:-$ROOT/../shared/vendor/lrs-conformance-test-suite}"
[ -f "$SUITE/bin/console_runner.js" ] || die "The ADL LRS conformance suite is not at $SUITE: set PANLEARN_LRS_SUITE."
command -v npm >/dev/null || die "npm is needed to install the conformance suite's packages."
SCRATCH="$ROOT/var/lrs-conformance"
rm -rf "$SCRATCH" && mkdir -p "$ROOT/var" && cp -r "$SUITE" "$SCRATCH" && chmod -R u+w "$SCRATCH"
rm -rf "$SCRATCH/node_modules" "$SCRATCH/logs"
say "npm install in a copy of the ADL LRS conformance suite"
(cd "$SCRATCH" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
for version in 1.0.3 2.0.0; do
  say "ADL LRS conformance suite, xAPI $version"
  python "$ROOT/bench/lrs_conformance.py" --suite "$SCRATCH" --version "$version" \
    --allowlist "$ROOT/bench/lrs_conformance_allowlist.json"
done
