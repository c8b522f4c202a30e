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
# newer ones. A day whose list could not be fetched (the hub's API down) is kept in
# content/.fetch-missed and asked for again by the next runs, a week of runs at most.
# Two runs at once take turns.
#
# Every step's failure is checked by hand: `set -e` does not hold inside a function called
# with `||`, as these are.
set -eu
DIGEST=${DIGEST:-digest}
SENT=content/.newsletter-sent
MISSED=content/.fetch-missed
CATCH_UP=7  # unsent days sent at most in one run (a run down for months sends no pile of mail)
TRIES=7     # runs that ask for a missed day's list before giving up on it (a day without one)

if [ ! -f content/site.yaml ]; then
  echo "daily.sh: no content/site.yaml in $(pwd): run it in the folder that holds content/" >&2
  exit 1
fi
mkdir -p content/snapshots
# One run at a time (cron, and a run by hand): the second waits for the first, then finds its
# day sent. flock(1) is util-linux's; without it, runs do not wait for each other.
if command -v flock >/dev/null 2>&1; then
  exec 9<content/snapshots
  if ! flock -w 3600 9; then
    echo "daily.sh: another run has been at work for an hour; not starting" >&2
    exit 1
  fi
fi

is_day() {
  case "$1" in
    [0-9][0-9][0-9][0-9]-0[1-9]-[0-3][0-9] | [0-9][0-9][0-9][0-9]-1[0-2]-[0-3][0-9]) return 0 ;;
    *) return 1 ;;
  esac
}

# Whether day $1 comes before day $2 (days as YYYY-MM-DD sort as text).
before() {
  [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort | head -n 1)" = "$1" ]
}

# The days of the snapshots, oldest first (fetch and add name each by its day: YYYY-MM-DD.json, ...).
snapshot_days() {
  ls content/snapshots | sed -n 's/^\([0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\)\.[a-z]*$/\1/p' | sort -u
}

fetch_and_build() {
  fetched=0
  last=$(cat "$SENT" 2>/dev/null || true)
  # The days whose list could not be fetched before, each with the runs that asked for it,
  # asked for again by their day: the API keeps past lists.
  missed=""
  cr=$(printf '\r')
  if [ -f "$MISSED" ]; then
    while read -r line || [ -n "$line" ]; do  # also a last line without its line break
      set -f  # the fields as they are: no file names made of a '*'
      # shellcheck disable=SC2086 # the line's fields
      set -- ${line%"$cr"}
      set +f
      [ $# -gt 0 ] || continue
      day=$1 tries=${2:-1}
      case "$tries" in *[!0-9]* | '' | 0* | ????*) tries=1 ;; esac  # shells take 08 for octal, and overflow
      if ! is_day "$day"; then
        echo "daily.sh: $MISSED: '$day' is no day (YYYY-MM-DD); left out" >&2
        continue
      fi
      # --force: the hub's list for a day keeps changing (upvotes, comments); keep the newest capture.
      if $DIGEST fetch --force --date "$day" </dev/null; then  # the loop reads the file on standard input
        if [ -n "$last" ] && before "$day" "$last"; then
          echo "daily.sh: the list of $day came after the e-mail of $last went: its own is not sent; send it with: $DIGEST send $day --to ..." >&2
        fi
        continue
      fi
      tries=$((tries + 1))
      if [ "$tries" -gt "$TRIES" ]; then
        echo "daily.sh: giving up on the list of $day after $TRIES runs; fetch it by hand with: $DIGEST fetch --date $day" >&2
      else
        missed="$missed$day $tries
"
      fi
    done < "$MISSED"
  fi
  if ! $DIGEST fetch --force; then
    today=$(date -u +%Y-%m-%d)
    case "$missed" in *"$today "*) ;; *) missed="$missed$today 1
" ;; esac
    echo "daily.sh: the list of $today is not fetched; the next run asks for it again" >&2
    fetched=1
  fi
  # Anything failing from here on fails the build: no e-mail goes out after it.
  build_failed=1
  if [ -n "$missed" ]; then
    printf '%s' "$missed" > "$MISSED" || return 1
  else
    rm -f "$MISSED" || return 1
  fi
  $DIGEST build --quiet || return 1
  build_failed=""
  return "$fetched"
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
  elif ! is_day "$last"; then
    echo "daily.sh: $SENT holds '$last', no day (YYYY-MM-DD): write the last day sent into it" >&2
    return 1
  elif before "$newest" "$last"; then
    echo "daily.sh: $SENT holds $last, after the newest snapshot, $newest: write the last day sent into it" >&2
    return 1
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
  sent=0
  for day in $days; do
    # shellcheck disable=SC2086 # one argument per recipient
    $DIGEST send "$day" --to $DIGEST_TO || sent=$?
    # 3: it went to some recipients, not to others (digest names both): sending it again would
    # repeat it to the first, so it counts as sent, and the run fails for someone to look.
    if [ "$sent" -eq 0 ] || [ "$sent" -eq 3 ]; then
      echo "$day" > "$SENT" || sent=1
    fi
    if [ "$sent" -ne 0 ] || [ -n "$stopped" ]; then
      break  # the days after it wait for the next run, in their order
    fi
  done
  trap - INT TERM
  if [ -n "$stopped" ]; then
    exit 143
  fi
  return "$sent"
}

build_status=0
build_failed=""
send_status=0
case "${1:-all}" in
  all) fetch_and_build || build_status=$?
       if [ -n "$build_failed" ]; then  # not only a fetch: no e-mail whose links lead to an old site
         exit "$build_status"
       fi
       send_new_days || send_status=$? ;;
  build) fetch_and_build || build_status=$? ;;
  send) send_new_days || send_status=$? ;;
  *) echo "usage: sh daily.sh [all|build|send]" >&2; exit 2 ;;
esac
if [ "$send_status" -ne 0 ]; then
  exit "$send_status"
fi
exit "$build_status"
