#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (see .ci/run and the README):
# build, the browser bundles (tooling/scripts/size-check.mjs: each graph browser-clean and within
# its budget, or its ceiling while the budget is open), type-check, lint, every
# package's tests on Node 20, core's tests again on Node 24, the reliability suite
# (docs/reliability.md), package checks (publint + attw), the tarball consumer test (every
# publishable package packed and installed outside the workspace, each app copied out, built and
# tested, every README snippet type-checked), then one summary line over every vitest run.
set -uo pipefail
cd "$(dirname "$0")/../.."
export CI="${CI:-true}"

rm -rf packages/*/reports apps/*/reports tooling/*/reports
failed=()
timings=()
step() {
  local name=$1
  shift
  local started=$SECONDS
  echo
  echo "::: $name"
  if ! "$@"; then
    failed+=("$name")
  fi
  timings+=("$(printf '%4ss  %s' $((SECONDS - started)) "$name")")
}

step "browser (Debian chromium)" bash tooling/scripts/ensure-chromium.sh
step "redis (Debian redis-server)" bash tooling/scripts/ensure-redis.sh
step "build" pnpm build
step "browser bundles (pnpm size: browser-clean graphs, budgets)" pnpm size
step "typecheck" pnpm typecheck
step "lint" pnpm lint
step "test (Node $(node --version))" pnpm exec turbo run test --concurrency=2 --output-logs=full
node24="$PWD/tooling/node24/node_modules/.bin"
step "test @flowcast/core (Node 24)" env PATH="$node24:$PATH" FLOWCAST_VITEST_REPORT=vitest-node24 \
  pnpm --filter @flowcast/core exec bash -c 'echo "running on node $(node --version)" && vitest run'
step "reliability suite" pnpm test:reliability
step "package checks (publint, attw)" pnpm test:build
step "tarball consumer (packed packages, apps copied out, README snippets)" \
  node tooling/scripts/consumer-test.mjs

echo
printf '%s\n' "${timings[@]}"
node tooling/scripts/test-summary.mjs || failed+=("summary")
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed steps: ${failed[*]}"
  exit 1
fi
echo "all steps passed"
