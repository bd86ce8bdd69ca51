#!/bin/sh
# /usr/bin/roomcast: Roomcast is a one-folder bundle in /usr/lib/roomcast.
exec /usr/lib/roomcast/roomcast "$@"
