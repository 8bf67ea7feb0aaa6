#!/usr/bin/env bash
# demo-setup.sh PARLEY DATA_DIR SIP_LISTEN
# First `make run`: creates the demo tenant (the default one, so phones may register to the
# server's IP) and extensions 1001 and 1002 with generated passwords, kept in
# DATA_DIR/demo-credentials.txt (mode 0600), and the web admin account "admin" whose generated
# password is kept in the same file. Every run prints how to register and sign in.
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

# The web admin account "admin" (also added to credentials files made before it existed).
if ! grep -q '^web-admin ' "$credentials"; then
  if ! "$parley" admin list --data "$data" | grep -q "^admin"$'\t'; then
    umask 077
    password=$("$parley" admin add admin --data "$data" | sed -n 's/^password: //p')
    echo "web-admin $password" >>"$credentials"
  fi
fi

echo
echo "Parley demo: SIP on $listen (UDP and TCP), data in $data"
echo "Register a softphone with domain/realm $domain, proxy/server $listen:"
while read -r ext password; do
  [[ "$ext" == web-admin ]] && continue
  echo "  user $ext   password $password"
done <"$credentials"
echo "(kept in $credentials; change with: parley user passwd EXT@$domain --data $data)"
admin_password=$(sed -n 's/^web-admin //p' "$credentials")
if [[ -n "$admin_password" ]]; then
  echo "Web admin and REST API (https://127.0.0.1:8443/api/v1/, self-signed certificate):"
  echo "  admin user admin   password $admin_password"
  echo "(change with: parley admin passwd admin --data $data)"
fi
echo
