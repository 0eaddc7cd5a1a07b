#!/usr/bin/env bash
# The two commands of the README:
#   bash scripts/run.sh demo   - set up, start the stack on embedded defaults, run the demo
#   bash scripts/run.sh test   - set up, then typecheck, lint and run every test on the real stack
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
case "${1:-}" in
  demo) shift; exec npm run demo -- "$@" ;;
  test)
    npm run typecheck
    npm run lint
    mkdir -p test-artifacts
    status=0
    npm test -- --reporter=default --reporter=json --outputFile.json=test-artifacts/vitest.json || status=$?
    # One plain closing line any CI can read: "N passed, N failed, N skipped".
    node -e 'const r=require("./test-artifacts/vitest.json"); console.log(`${r.numPassedTests} passed, ${Math.max(r.numFailedTests, r.numFailedTestSuites)} failed, ${r.numPendingTests + r.numTodoTests} skipped`)' || true
    exit $status ;;
  *) echo "usage: bash scripts/run.sh demo|test" >&2; exit 2 ;;
esac
