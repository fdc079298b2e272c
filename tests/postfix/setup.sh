#!/usr/bin/env bash
# Postfix for the tests, on loopback only: installs it from Debian if missing and configures
#   - parties.test: every address delivered to the maildir /var/spool/ecenter-mail/parties/ (with a
#     "delivered" DSN when asked for one),
#   - bounce.test: accepted, then bounced by the error transport (5.1.1): a real asynchronous bounce,
#   - hub.test: dsn@hub.test is the hub's bounce address, delivered to /var/spool/ecenter-mail/hub/,
#     the maildir the hub ingests delivery status notifications from; dsn-awaited@hub.test goes to
#     /var/spool/ecenter-mail/awaited/, which nobody prepares: Postfix makes it at its first delivery
#     while a hub waits for it (tests/postfix_maildir.rs); dsn-review@hub.test goes to
#     /var/spool/ecenter-mail/review/, the maildir of tests/service_reports.rs (its own, so hubs of
#     tests running at once never read each other's reports); dsn-outbox@hub.test goes to
#     /var/spool/ecenter-mail/outbox/, read by the outbox crate's own test (crates/outbox/tests),
#     which runs the engine without a hub or gRPC.
# Every maildir Postfix delivers into is made here, before any test, owned by Postfix's virtual
# delivery user (5000:5000), so neither the order of tests nor what a machine did before matters.
# Idempotent; safe to run before every test run (scripts/clean-test-state empties them first).
set -euo pipefail

if ! command -v postfix >/dev/null 2>&1; then
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string hub.test" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix >/dev/null; }
fi

spool=/var/spool/ecenter-mail
vuid=5000
mkdir -p "$spool"
for box in hub parties review outbox; do
  mkdir -p "$spool/$box/tmp" "$spool/$box/new" "$spool/$box/cur"
  chmod 0700 "$spool/$box" "$spool/$box/tmp" "$spool/$box/new" "$spool/$box/cur"
done
chown -R "$vuid:$vuid" "$spool"
postconf -e \
  inet_interfaces=loopback-only \
  inet_protocols=ipv4 \
  myhostname=mta.hub.test \
  mydomain=hub.test \
  mydestination=localhost \
  mynetworks=127.0.0.0/8 \
  relay_domains=bounce.test \
  smtpd_reject_unlisted_recipient=no \
  "transport_maps=inline:{ {bounce.test=error:5.1.1 user unknown} }" \
  "virtual_mailbox_domains=parties.test hub.test" \
  virtual_mailbox_base="$spool" \
  "virtual_mailbox_maps=inline:{ dsn@hub.test=hub/, dsn-awaited@hub.test=awaited/, dsn-review@hub.test=review/, dsn-outbox@hub.test=outbox/, @parties.test=parties/ }" \
  virtual_uid_maps=static:$vuid \
  virtual_gid_maps=static:$vuid \
  maillog_file=/var/log/postfix.log \
  smtputf8_enable=yes \
  compatibility_level=3.6

if postfix status >/dev/null 2>&1; then
  postfix reload >/dev/null 2>&1
else
  postfix start >/dev/null 2>&1
fi
# Ready when port 25 answers.
for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/25) 2>/dev/null; then
    exit 0
  fi
  sleep 0.1
done
echo "postfix did not start; see /var/log/postfix.log" >&2
exit 1
