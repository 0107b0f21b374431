#!/usr/bin/env bash
# Golden outputs: every shipped scenario's paths, bit for bit as pinned in tests/golden/pins (and the same under
# --check). A refactor must leave them as they are; an intended change of results re-pins them with --update.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 "$WIPEOUT_SOURCE_DIR/tests/golden/golden.py" --wipeout "$WIPEOUT"
