#!/usr/bin/env bash
# Installs what the Python client's tests and notebook need from Debian (no PyPI on these
# machines): pytest, requests, pandas, networkx, nbconvert, the IPython kernel, pip with
# setuptools for the installability test, and tqdm for the progress bars. Skips apt entirely
# when every package is already installed.
set -euo pipefail
packages=(python3-pytest python3-requests python3-pandas python3-networkx jupyter-nbconvert python3-ipykernel
  python3-pip python3-setuptools python3-tqdm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "python: ${packages[*]} already installed"
  exit 0
fi
echo "python: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
