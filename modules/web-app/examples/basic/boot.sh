#!/bin/bash
# Boot script of the example's instances: a static page on the stack's
# port. Replace with your application's installation.
set -euo pipefail
. /etc/hawebapp/env
mkdir -p /srv/www && echo ok > /srv/www/health
cd /srv/www && exec python3 -m http.server "$HAWEBAPP_PORT"
