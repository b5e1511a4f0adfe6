#!/usr/bin/env bash
# Installs every build and test dependency of dateline on a Debian machine,
# then fetches the Kafka broker used by the tests and the demo. Safe to re-run:
# it installs only what is missing.
#
#   scripts/setup.sh            build + test dependencies and the Kafka jars
#   DL_SETUP_NO_KAFKA=1 ...     skip fetching Kafka (extract-only use)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Debian packages: compiler and CMake, the four required libraries,
# libmicrohttpd (the /metrics, /healthz, /ready endpoint), cmocka
# for unit tests, clang for fuzzing, kcat for the integration tests, a JDK
# and Maven for the Kafka broker, Python for the test drivers, iso-codes for
# the place gazetteers (config/rules/en/entities.yaml loads its JSON at start-up).
packages=(
    build-essential cmake pkg-config
    librdkafka-dev libjansson-dev libpcre2-dev libyaml-dev libcmocka-dev libmicrohttpd-dev
    clang kcat default-jre-headless maven python3 python3-pip
    iso-codes
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
    sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# libFuzzer for clang (scripts/fuzz.sh): Debian ships it in libclang-rt-N-dev,
# N being clang's major version.
if command -v clang >/dev/null || [[ " ${missing[*]} " == *" clang "* ]]; then
    # Not installed yet: no version (and no failed pipeline under pipefail).
    clang_major="$({ clang --version 2>/dev/null || true; } |
        sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)"
    clang_major="${clang_major:-14}"
    if ! dpkg-query -W -f='${Status}' "libclang-rt-$clang_major-dev" 2>/dev/null |
        grep -q "install ok installed"; then
        missing+=("libclang-rt-$clang_major-dev")
    fi
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup.sh: installing ${missing[*]}" >&2
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# The schema checks use the jsonschema package of whichever python3 is first
# on PATH (it may not be Debian's).
if ! python3 -c 'import jsonschema' 2>/dev/null; then
    echo "setup.sh: installing jsonschema for $(command -v python3)" >&2
    python3 -m pip install --quiet jsonschema 2>/dev/null ||
        python3 -m pip install --quiet --break-system-packages jsonschema
fi

# The deploy and docs tests read YAML (rendered manifests) with PyYAML; the
# ops test parses /metrics with Prometheus' Python client as well.
for mod in yaml:pyyaml prometheus_client:prometheus-client; do
    if ! python3 -c "import ${mod%%:*}" 2>/dev/null; then
        echo "setup.sh: installing ${mod#*:} for $(command -v python3)" >&2
        python3 -m pip install --quiet "${mod#*:}" 2>/dev/null ||
            python3 -m pip install --quiet --break-system-packages "${mod#*:}"
    fi
done

if [ -z "${DL_SETUP_NO_KAFKA:-}" ]; then
    "$here/kafka.sh" fetch
fi
echo "setup.sh: dependencies ready" >&2
