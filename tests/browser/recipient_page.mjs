// A recipient opens the link of a service notice in a real browser (Debian's Chromium, driven by
// playwright-core; no browser download) and confirms reading with the keyboard alone.
//
// Chromium checks the page's certificate against the NSS database in $HOME/.pki/nssdb, which the
// Rust test fills with the development root only: no certificate errors are ignored.
//
// Usage: node recipient_page.mjs --link URL --home DIR --shots DIR
// Prints one JSON line: what the browser saw at desktop and phone width, and after confirming.
import path from 'node:path';
import { arg, launch, newPage } from './harness.mjs';

/// What a person sees on the page: title, language, documents, whether it fits the width.
async function look(page) {
  return page.evaluate(() => ({
    lang: document.documentElement.lang,
    title: document.querySelector('h1')?.textContent ?? '',
    documents: [...document.querySelectorAll('table a')].map((a) => a.textContent),
    scrollWidth: document.scrollingElement.scrollWidth,
    clientWidth: document.scrollingElement.clientWidth,
    confirmButton: [...document.querySelectorAll('button')].some((b) => b.textContent === '确认已阅读'),
  }));
}

/// Tabs through the page until the confirm button has the focus; returns how many presses it took.
async function tabToConfirm(page) {
  for (let presses = 1; presses <= 30; presses++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    if (focused === '确认已阅读') return presses;
  }
  return -1;
}

async function main() {
  const [link, home, shots] = [arg('link'), arg('home'), arg('shots')];
  const browser = await launch(home);
  const problems = [];
  const open = async (width, height) => {
    const { page } = await newPage(browser, width, height, problems);
    const response = await page.goto(link);
    return { page, response };
  };
  const desktop = await open(1280, 800);
  const headers = desktop.response.headers();
  const seenDesktop = await look(desktop.page);
  await desktop.page.screenshot({ path: path.join(shots, 'recipient-page-desktop.png'), fullPage: true });

  const phone = await open(390, 844);
  const seenPhone = await look(phone.page);
  await phone.page.screenshot({ path: path.join(shots, 'recipient-page-phone.png'), fullPage: true });
  const presses = await tabToConfirm(phone.page);
  let confirmed = null;
  if (presses > 0) {
    await Promise.all([phone.page.waitForLoadState('load'), phone.page.waitForURL(/\/confirm$/), phone.page.keyboard.press('Enter')]);
    confirmed = await look(phone.page);
  }
  await browser.close();
  console.log(JSON.stringify({
    status: desktop.response.status(),
    csp: headers['content-security-policy'] ?? null,
    desktop: seenDesktop,
    phone: seenPhone,
    tabPresses: presses,
    confirmed,
    problems,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
