#!/bin/bash
# Boot script of the application instances (Amazon Linux 2023).
# hawebapp inserts, right after the shebang, the lines that write
# /etc/hawebapp/env (HAWEBAPP_PORT, HAWEBAPP_DB_INSTANCE,
# HAWEBAPP_DB_NAME, ...); the service below reads its settings there.
set -euo pipefail

install -d -m 0755 /opt/hawebapp /etc/hawebapp
curl --fail --silent --show-error --location --retry 5 \
  --output /opt/hawebapp/app "${app_release_url}"
chmod 0755 /opt/hawebapp/app

useradd --system --no-create-home --shell /sbin/nologin hawebapp || true

cat > /etc/systemd/system/hawebapp.service <<'UNIT'
[Unit]
Description=hawebapp example application
Wants=network-online.target
After=network-online.target

[Service]
User=hawebapp
EnvironmentFile=/etc/hawebapp/env
ExecStart=/opt/hawebapp/app
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
UNIT

systemctl daemon-reload
systemctl enable --now hawebapp.service
