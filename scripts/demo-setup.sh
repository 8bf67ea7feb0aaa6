#!/usr/bin/env bash
# demo-setup.sh PARLEY DATA_DIR SIP_LISTEN
# First `make run`: creates the demo tenant (the default one, so phones may register to the
# server's IP) and extensions 1001 and 1002 with generated passwords, kept in
# DATA_DIR/demo-credentials.txt (mode 0600). Every run prints how to register.
set -euo pipefail
parley=$1 data=$2 listen=$3
domain=parley.local
credentials="$data/demo-credentials.txt"

if [[ ! -f "$credentials" ]]; then
  mkdir -p -m 700 "$data"
  if ! "$parley" tenant list --data "$data" | grep -q "^$domain"; then
    "$parley" tenant add "$domain" --name "Parley demo" --default --data "$data" >/dev/null
  fi
  umask 077
  : >"$credentials.tmp"
  for ext in 1001 1002; do
    password=$("$parley" user add "$ext@$domain" --name "Demo $ext" --data "$data" |
      sed -n 's/^password: //p')
    echo "$ext $password" >>"$credentials.tmp"
  done
  mv "$credentials.tmp" "$credentials"
fi

echo
echo "Parley demo: SIP on $listen (UDP and TCP), data in $data"
echo "Register a softphone with domain/realm $domain, proxy/server $listen:"
while read -r ext password; do
  echo "  user $ext   password $password"
done <"$credentials"
echo "(kept in $credentials; change with: parley user passwd EXT@$domain --data $data)"
echo
