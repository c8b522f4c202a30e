#!/bin/sh
# The daily publishing run: fetch the day's list, rebuild the site, send the e-mail.
# Run it from the folder that holds content/ (from cron, a CI job, or by hand):
#
#   sh daily.sh          all of it
#   sh daily.sh build    fetch and build only
#   sh daily.sh send     only send the e-mails of new days (after the site is published,
#                        so that the e-mails' links lead to pages that are there)
#
#   DIGEST      how to call digest (default: digest)
#   DIGEST_TO   newsletter recipients, separated by spaces (no e-mail is sent when unset)
#   DIGEST_SMTP_USER, DIGEST_SMTP_PASSWORD   SMTP login, if the server needs one
#
# Each day's e-mail is sent once: the last day sent is kept in content/.newsletter-sent, so
# that a run on a day the hub has no new list (a weekend), or a second run, sends nothing.
# A day a run could not send (the SMTP server down) is sent by the next run, before the
# newer ones; a day whose list could not be fetched (the hub's API down) is kept in
# content/.fetch-missed and fetched by the next runs. Two runs at once take turns.
set -eu
DIGEST=${DIGEST:-digest}
SENT=content/.newsletter-sent
MISSED=content/.fetch-missed
CATCH_UP=7  # unsent days sent at most in one run (a run down for months sends no pile of mail)

if [ ! -f content/site.yaml ]; then
  echo "daily.sh: no content/site.yaml in $(pwd): run it in the folder that holds content/" >&2
  exit 1
fi
mkdir -p content/snapshots
# One run at a time (cron, and a run by hand): the second waits for the first, then finds its
# day sent. flock(1) is util-linux's; without it, runs do not wait for each other.
if command -v flock >/dev/null 2>&1; then
  exec 9<content/snapshots
  flock 9
fi

# The days of the snapshots, oldest first (fetch and add name each by its day: YYYY-MM-DD.json, ...).
snapshot_days() {
  ls content/snapshots | sed -n 's/^\([0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\)\.[a-z]*$/\1/p' | sort -u
}

fetch_and_build() {
  status=0
  # The days whose fetch failed before, asked for by their day: the API keeps past lists.
  still_missed=""
  for day in $(cat "$MISSED" 2>/dev/null || true); do
    # --force: the hub's list for a day keeps changing (upvotes, comments); keep the newest capture.
    $DIGEST fetch --force --date "$day" || { still_missed="$still_missed $day"; status=1; }
  done
  if ! $DIGEST fetch --force; then
    today=$(date -u +%Y-%m-%d)
    case " $still_missed " in *" $today "*) ;; *) still_missed="$still_missed $today" ;; esac
    echo "daily.sh: the list of $today is not fetched; the next run tries again" >&2
    status=1
  fi
  if [ -n "$still_missed" ]; then
    echo $still_missed > "$MISSED"  # one line, the days apart
  else
    rm -f "$MISSED"
  fi
  $DIGEST build --quiet
  return "$status"
}

send_new_days() {
  [ -n "${DIGEST_TO:-}" ] || return 0
  newest=$(snapshot_days | tail -n 1)
  if [ -z "$newest" ]; then
    echo "daily.sh: no snapshot named by its day in content/snapshots/: nothing to send" >&2
    return 1
  fi
  last=$(cat "$SENT" 2>/dev/null || true)
  if [ -z "$last" ]; then
    days=$newest  # the first run sends the newest day only, not the whole archive
  else
    days=$(snapshot_days | awk -v last="$last" '$0 > last')
  fi
  if [ -z "$days" ]; then
    echo "daily.sh: the e-mail of $last was sent before; not sending it again" >&2
    return 0
  fi
  count=$(echo "$days" | wc -l)
  if [ "$count" -gt "$CATCH_UP" ]; then
    skipped=$(echo "$days" | head -n "$((count - CATCH_UP))" | tr '\n' ' ')
    echo "daily.sh: not sending the e-mails of ${skipped}(more than $CATCH_UP days behind); send one with: $DIGEST send DAY --to ..." >&2
    days=$(echo "$days" | tail -n "$CATCH_UP")
  fi
  # A time limit (SIGTERM) or Ctrl-C while digest sends: digest says whom it went to, and the
  # day is recorded before this run stops, not sent again by the next.
  stopped=""
  trap 'stopped=1' INT TERM
  status=0
  for day in $days; do
    # shellcheck disable=SC2086 # one argument per recipient
    $DIGEST send "$day" --to $DIGEST_TO || status=$?
    # 3: it went to some recipients, not to others (digest names both): sending it again would
    # repeat it to the first, so it counts as sent, and the run fails for someone to look.
    if [ "$status" -eq 0 ] || [ "$status" -eq 3 ]; then
      echo "$day" > "$SENT"
    fi
    if [ "$status" -ne 0 ] || [ -n "$stopped" ]; then
      break  # the days after it wait for the next run, in their order
    fi
  done
  trap - INT TERM
  if [ -n "$stopped" ]; then
    exit 143
  fi
  return "$status"
}

status=0
case "${1:-all}" in
  all) fetch_and_build || status=$?; send_new_days || status=$? ;;
  build) fetch_and_build || status=$? ;;
  send) send_new_days || status=$? ;;
  *) echo "usage: sh daily.sh [all|build|send]" >&2; exit 2 ;;
esac
exit "$status"
