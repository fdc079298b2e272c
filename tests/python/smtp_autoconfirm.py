"""An SMTP server (aiosmtpd) whose recipients read their mail at once: for every notice it receives it
opens the recipient's link over HTTPS and presses 确认已阅读 (GET the page, POST its one-time form),
from a pool of threads so the SMTP side stays fast. Used by the 10,000-recipient benchmark.

Usage: python3 smtp_autoconfirm.py PORT CA_FILE
Prints one line per 1,000 confirmations to stderr.
"""

import email
import re
import ssl
import sys
import threading
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from smtp_serve import serve

LINK = re.compile(r"https://\S+/s/[A-Za-z0-9_\-.]+")
FORM = re.compile(r'name="form" value="([^"]+)"')


class AutoConfirm:
    def __init__(self, ca_file):
        self.context = ssl.create_default_context(cafile=ca_file)
        self.pool = ThreadPoolExecutor(max_workers=24)
        self.lock = threading.Lock()
        self.confirmed = 0

    def confirm(self, link):
        for attempt in range(5):
            try:
                with urllib.request.urlopen(link, context=self.context, timeout=30) as page:
                    form = FORM.search(page.read().decode("utf-8")).group(1)
                data = urllib.parse.urlencode({"form": form}).encode()
                # As a browser's form: its POST names the page's origin.
                parts = urllib.parse.urlsplit(link)
                origin = f"{parts.scheme}://{parts.netloc}"
                posted = urllib.request.Request(link + "/confirm", data=data, headers={"Origin": origin})
                with urllib.request.urlopen(posted, context=self.context, timeout=30) as r:
                    r.read()
                with self.lock:
                    self.confirmed += 1
                    if self.confirmed % 1000 == 0:
                        print(f"confirmed {self.confirmed}", file=sys.stderr, flush=True)
                return
            except Exception as e:  # retried: the hub may be busy
                last = e
        print(f"could not confirm {link}: {last}", file=sys.stderr, flush=True)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content)
        body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
        found = LINK.search(body)
        if found:
            self.pool.submit(self.confirm, found.group(0))
        return "250 Message accepted for delivery"


def main():
    port, ca_file = int(sys.argv[1]), sys.argv[2]
    serve(AutoConfirm(ca_file), port)


if __name__ == "__main__":
    main()
