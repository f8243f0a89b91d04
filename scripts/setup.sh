#!/usr/bin/env bash
# Installs the Debian 12 packages tlpu needs, and only those that are missing
# (idempotent: a second run installs nothing). README.md says what each is for.
set -euo pipefail

PKGS=(
  build-essential   # gcc, g++, make
  cmake             # the build (>= 3.25)
  pkg-config        # finds Check, libusb and SystemC
  check             # C unit-test framework
  libsubunit-dev    # Check's pkg-config file requires it
  libusb-1.0-0-dev  # usb: transport of the driver
  verilator         # RTL lint and cycle-accurate simulation
  zlib1g-dev        # Verilator's FST waveform writer
  libsystemc-dev    # SystemC/TLM-2.0 system model
  yosys             # RTL synthesis checks (no latches, no multipliers, cell counts)
  python3           # generates the spec header and Verilog include
  clang             # libFuzzer targets for the firmware and file parsers
  libclang-rt-14-dev # clang's libFuzzer and sanitizer runtimes (only recommended by clang)
  libjansson-dev    # JSON: model descriptions, energy tables, reports
  gcc-riscv64-unknown-elf # cross-compiles the firmware for an RV32IMC microcontroller
  python3-jsonschema # the tests validate the report JSON against its schema
  umockdev          # umockdev-wrapper: emulated USB boards for the usb: tests
  libumockdev-dev   # the emulated boards' usbdevfs ioctl handler (sim/usbemu)
  unicode-data      # the tokenizer's Unicode tables are checked against it (the build does not need it)
  parallel          # GNU parallel: tlpu sweep local runs a sweep's points through it
  slurmctld         # Slurm's controller: the sweep test runs a real single-node cluster
  slurmd            # Slurm's node daemon (and slurmstepd, which runs each task)
  slurm-client      # sbatch, squeue, scontrol, scancel: tlpu sweep slurm and its test
  munge             # Slurm's authentication (the test runs a private munged)
)
names=()
for entry in "${PKGS[@]}"; do names+=("${entry%% *}"); done

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup: this is not a Debian system; install the equivalents of: ${names[*]}" >&2
  exit 1
fi

missing=()
for p in "${names[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all dependencies are installed"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "setup: root is needed to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
