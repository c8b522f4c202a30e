#!/bin/sh
# The daily publishing run: fetch the day's list, rebuild the site, send the e-mail.
# Run it from the folder that holds content/ (from cron, a CI job, or by hand).
#
#   DIGEST      how to call digest (default: digest)
#   DIGEST_TO   newsletter recipients, separated by spaces (no e-mail is sent when unset)
#   DIGEST_SMTP_USER, DIGEST_SMTP_PASSWORD   SMTP login, if the server needs one
set -eu
DIGEST=${DIGEST:-digest}

# --force: the hub's list for a day keeps changing (upvotes, comments); keep the newest capture.
$DIGEST fetch --force
$DIGEST build --quiet
if [ -n "${DIGEST_TO:-}" ]; then
  # shellcheck disable=SC2086 # one argument per recipient
  $DIGEST send latest --to $DIGEST_TO
fi
