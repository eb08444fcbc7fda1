#!/usr/bin/env bash
# install_r_mass.sh -- install what export_regression_sets.R needs (R and MASS) from Debian
# packages. Idempotent. Manual use only (needs root or sudo): the CSVs it makes are in the
# repository, so CI never runs it.
set -euo pipefail
PKGS=(r-base-core r-cran-mass)
missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y "${missing[@]}"
fi
Rscript -e 'cat("R", as.character(getRversion()), "MASS", as.character(packageVersion("MASS")), "\n")'
