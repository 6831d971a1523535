#!/bin/bash
# Benchmark boot script: hawebapp inserts the stack variables
# (HAWEBAPP_DB_INSTANCE, HAWEBAPP_DB_NAME, ...) after the shebang.
echo "database $HAWEBAPP_DB_INSTANCE" >/var/log/bench-boot.log
