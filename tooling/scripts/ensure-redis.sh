#!/usr/bin/env bash
# Makes sure Debian's redis-server is installed for the @flowcast/webhook Redis tests
# (packages/webhook/test/*redis*.test.ts start their own throwaway redis-server on a free
# loopback port, without persistence). Installs it with apt-get when it is missing; needs
# root (or passwordless sudo).
set -euo pipefail

REDIS="${FLOWCAST_REDIS_SERVER:-redis-server}"

if command -v "$REDIS" >/dev/null 2>&1; then
  echo "redis-server present: $("$REDIS" --version 2>/dev/null | head -n 1)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-redis: $REDIS is missing and apt-get is not available; install Redis and set FLOWCAST_REDIS_SERVER" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "ensure-redis: installing redis-server needs root (or sudo)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-redis: installing Debian's redis-server with apt-get"
$SUDO apt-get update
# The package's service is not started here: the tests run their own server.
$SUDO apt-get install -y --no-install-recommends redis-server

if ! command -v "$REDIS" >/dev/null 2>&1; then
  echo "ensure-redis: apt-get finished but $REDIS is still missing" >&2
  exit 1
fi
echo "redis-server installed: $("$REDIS" --version 2>/dev/null | head -n 1)"
