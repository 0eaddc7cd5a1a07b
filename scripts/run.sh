#!/usr/bin/env bash
# The two commands of the README:
#   bash scripts/run.sh demo   - set up, start the stack on embedded defaults, run the demo
#   bash scripts/run.sh test   - set up, then npm test: typecheck, lint, every test on the real stack
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
case "${1:-}" in
  demo) shift; exec npm run demo -- "$@" ;;
  test) exec npm test ;;
  *) echo "usage: bash scripts/run.sh demo|test" >&2; exit 2 ;;
esac
