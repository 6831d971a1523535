#!/bin/bash
# Benchmark boot script: hawebapp inserts the stack variables
# (HAWEBAPP_DB_ENDPOINT, HAWEBAPP_DB_SECRET_ARN, ...) after the shebang.
echo "database at $HAWEBAPP_DB_ENDPOINT" >/var/log/bench-boot.log
