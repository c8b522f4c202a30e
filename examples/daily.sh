#!/bin/sh
# The daily publishing run: fetch the day's list, rebuild the site, send the e-mail.
# Run it from the folder that holds content/ (from cron, a CI job, or by hand):
#
#   sh daily.sh          all of it
#   sh daily.sh build    fetch and build only
#   sh daily.sh send     only send the newest day's e-mail (after the site is published,
#                        so that the e-mail's links lead to pages that are there)
#
#   DIGEST      how to call digest (default: digest)
#   DIGEST_TO   newsletter recipients, separated by spaces (no e-mail is sent when unset)
#   DIGEST_SMTP_USER, DIGEST_SMTP_PASSWORD   SMTP login, if the server needs one
#
# Each day's e-mail is sent once: the last day sent is kept in content/.newsletter-sent, so
# that a run on a day the hub has no new list (a weekend), or a second run, sends nothing.
set -eu
DIGEST=${DIGEST:-digest}
SENT=content/.newsletter-sent

fetch_and_build() {
  # --force: the hub's list for a day keeps changing (upvotes, comments); keep the newest capture.
  $DIGEST fetch --force
  $DIGEST build --quiet
}

send_new_day() {
  [ -n "${DIGEST_TO:-}" ] || return 0
  # fetch and add name each snapshot by its day: YYYY-MM-DD.json, .txt, ...
  day=$(ls content/snapshots | sed -n 's/^\([0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\)\.[a-z]*$/\1/p' | sort | tail -n 1)
  if [ -z "$day" ]; then
    echo "daily.sh: no snapshot named by its day in content/snapshots/: nothing to send" >&2
    return 1
  fi
  if [ "$day" = "$(cat "$SENT" 2>/dev/null || true)" ]; then
    echo "daily.sh: the e-mail of $day was sent before; not sending it again" >&2
    return 0
  fi
  status=0
  # shellcheck disable=SC2086 # one argument per recipient
  $DIGEST send "$day" --to $DIGEST_TO || status=$?
  # 3: it went to some recipients, not to others (digest names both): sending it again would
  # repeat it to the first, so it counts as sent, and the run fails for someone to look.
  if [ "$status" -eq 0 ] || [ "$status" -eq 3 ]; then
    echo "$day" > "$SENT"
  fi
  return "$status"
}

case "${1:-all}" in
  all) fetch_and_build; send_new_day ;;
  build) fetch_and_build ;;
  send) send_new_day ;;
  *) echo "usage: sh daily.sh [all|build|send]" >&2; exit 2 ;;
esac
