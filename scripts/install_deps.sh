#!/usr/bin/env bash
# Installs wipeout's build, test and report dependencies from Debian 12's archive.
# Idempotent: when everything is present it installs nothing and touches no package list.
set -euo pipefail
packages=(
  build-essential cmake ninja-build git pkg-config
  libtbb-dev libboost-dev libboost-random-dev libhdf5-dev hdf5-tools
  catch2 libcli11-dev libtomlplusplus-dev libfmt-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin
  clang libclang-rt-14-dev
  python3-h5py python3-numpy python3-matplotlib python3-netcdf4
  python3-dev pybind11-dev python3-xarray python3-pandas python3-pytest  # the Python module and its tests
  python3-nbclient python3-nbformat python3-ipykernel                    # the example notebook, run headless
  chromium  # headless check of wipeout report's HTML (tests/cli/report_browser.sh)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install_deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
