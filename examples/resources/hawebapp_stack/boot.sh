#!/bin/bash
# User data of the stack's instances. hawebapp inserts the HAWEBAPP_* settings
# after the shebang and saves them to /etc/hawebapp/env.
set -euo pipefail
exec /opt/app/server --port "$HAWEBAPP_PORT"
