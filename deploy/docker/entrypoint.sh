#!/bin/sh
# Runs the image's service ($ASYNCHRONIO_SERVICE) with the container's
# arguments, as PID 1's only child under tini.
exec "/usr/local/bin/$ASYNCHRONIO_SERVICE" "$@"
