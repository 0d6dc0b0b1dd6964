#!/usr/bin/env bash
# hoplab set-up on Debian 12: installs the Debian packages that are missing, builds, then
#   ./scripts/setup.sh demo   runs a demo lab session on two simulated plates (writes ./demo-output/)
#   ./scripts/setup.sh test   builds and runs every test (ctest)
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
if [[ "$mode" != "demo" && "$mode" != "test" ]]; then
    echo "usage: $0 demo|test" >&2
    exit 2
fi

# Every dependency is a Debian 12 package; README.md says why each is there.
packages=(
    build-essential cmake pkg-config
    libboost-dev                                  # Asio, Beast, CRC (header-only)
    libhdf5-dev hdf5-tools                        # recordings (C API); h5dump/h5clear for users
    libdeflate-dev                                # fast deflate of the raw streams' chunks
    libfftw3-dev                                  # spectra
    qt6-base-dev qt6-charts-dev qt6-websockets-dev  # the viewer (Qt Charts; live mode: Qt WebSockets)
    libqt6opengl6-dev libgl-dev libxkbcommon-dev  # what Qt6Charts' and Qt6Gui's CMake packages look for
    fonts-dejavu-core                             # text in offscreen-rendered charts and reports
    libspdlog-dev libfmt-dev nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libeigen3-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    iperf3                                        # the acquisition bench's loopback TCP reference
    python3-numpy python3-scipy python3-h5py      # golden-file generators and the h5py schema check
)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "Installing missing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
if [[ "$mode" == "demo" ]]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHOPLAB_BUILD_TESTS=OFF -DHOPLAB_BUILD_BENCH=OFF
    cmake --build build -j"$jobs"
    exec ./build/bin/hoplab demo
else
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DHOPLAB_BUILD_TESTS=ON -DHOPLAB_BUILD_BENCH=ON
    cmake --build build -j"$jobs"
    ctest --test-dir build --output-on-failure --timeout 300 -j"$jobs"
fi
