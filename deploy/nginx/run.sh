#!/usr/bin/env bash
# Runs nginx in the foreground for the one-machine layout (deploy/Procfile): listens on
# PANLEARN_NGINX_LISTEN (default 127.0.0.1:8000) and spreads requests over PANLEARN_WEB1_PORT and
# PANLEARN_WEB2_PORT. Its configuration, pid and temporary files live in var/nginx/ (PANLEARN_NGINX_PREFIX).
# With --test it checks the configuration (nginx -t) and stops there.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix="${PANLEARN_NGINX_PREFIX:-$PWD/var/nginx}"
mkdir -p "$prefix/tmp"
upstreams=""
for port in ${PANLEARN_WEB1_PORT:-8101} ${PANLEARN_WEB2_PORT:-8102}; do
  upstreams="$upstreams server 127.0.0.1:$port max_fails=1 fail_timeout=2s;"
done
server_block=$(sed -e "s|@LISTEN@|${PANLEARN_NGINX_LISTEN:-127.0.0.1:8000}|" -e "s|@UPSTREAMS@|$upstreams|" \
  deploy/nginx/panlearn.conf)
cat > "$prefix/nginx.conf" <<CONF
worker_processes ${PANLEARN_NGINX_WORKERS:-1};
daemon off;
pid $prefix/nginx.pid;
error_log $prefix/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $prefix/tmp/body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
$server_block
}
CONF
NGINX="${PANLEARN_NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
"$NGINX" -t -q -p "$prefix" -c "$prefix/nginx.conf"
if [ "${1:-}" = "--test" ]; then exit 0; fi
exec "$NGINX" -p "$prefix" -c "$prefix/nginx.conf"
