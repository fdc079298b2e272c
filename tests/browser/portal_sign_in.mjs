// A lawyer signs in to the portal in a real browser (Debian's Chromium through playwright-core, no
// browser download) on a phone-sized screen, with the keyboard: types the practising certificate
// number, asks for a code by e-mail, types the code the Rust test caught at aiosmtpd (it writes it
// to --code-file), lands on the home page, tries a forged CSRF token, and signs out.
//
// Chromium checks the portal's certificate against the NSS database in $HOME/.pki/nssdb, which the
// Rust test fills with the development root only: no certificate errors are ignored.
//
// Usage: node portal_sign_in.mjs --base URL --licence N --code-file F --home DIR --shots DIR
//        [--filing ID --ready-file F]   (the filing's page open, F written: the court may act)
// Prints one JSON line: what the browser saw at each step.
import fs from 'node:fs/promises';
import path from 'node:path';
import { arg, launch, newPage, optional } from './harness.mjs';

/// What a person sees: heading, alerts, whether the page fits the width.
async function look(page) {
  return page.evaluate(() => ({
    lang: document.documentElement.lang,
    title: document.querySelector('h1')?.textContent ?? '',
    alert: document.querySelector('[role=alert],[role=status]')?.textContent ?? '',
    text: document.querySelector('main')?.innerText ?? '',
    scrollWidth: document.scrollingElement.scrollWidth,
    clientWidth: document.scrollingElement.clientWidth,
    scriptCookies: document.cookie,
  }));
}

/// Tabs until the element whose text (or label) is `wanted` has the focus; the presses, or -1.
async function tabTo(page, wanted) {
  for (let presses = 1; presses <= 30; presses++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const e = document.activeElement;
      return (e?.labels?.[0]?.textContent ?? e?.textContent ?? '').trim();
    });
    if (focused.startsWith(wanted)) return presses;
  }
  return -1;
}

async function waitForCode(file) {
  for (let i = 0; i < 300; i++) {
    try { return (await fs.readFile(file, 'utf8')).trim(); } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no code was handed over');
}

async function submitWith(page, key) {
  await Promise.all([page.waitForNavigation(), page.keyboard.press(key)]);
}

async function main() {
  const [base, licence, codeFile, home, shots] =
    [arg('base'), arg('licence'), arg('code-file'), arg('home'), arg('shots')];
  const browser = await launch(home);
  const problems = [];
  const { context, page } = await newPage(browser, 390, 844, problems);
  const failed = [];
  page.on('response', (r) => { if (r.status() >= 400) failed.push({ url: r.url(), status: r.status() }); });
  const first = await page.goto(`${base}/portal/`);
  const headers = first.headers();
  const signInPage = await look(page);
  await page.screenshot({ path: path.join(shots, 'portal-sign-in-phone.png'), fullPage: true });

  const toLicence = await tabTo(page, '律师执业证号');
  await page.keyboard.type(licence);
  // This court sends codes by e-mail only: the form has the mailbox chosen, and Tab reaches it.
  const toEmail = await tabTo(page, '名录登记的电子邮箱');
  const toSend = await tabTo(page, '获取验证码');
  await submitWith(page, 'Enter');
  const codePage = await look(page);

  const code = await waitForCode(codeFile).catch((e) => {
    throw new Error(`${e.message}; the page said ${JSON.stringify(codePage)}`);
  });
  // The code field takes the focus itself (autofocus), at Chromium's next rendering update, which
  // on a busy machine may come after the code is already known here.
  await page.waitForFunction(() => document.activeElement?.id === 'code', null, { timeout: 30000 });
  await page.keyboard.type(code);
  await submitWith(page, 'Enter');
  const homePage = await look(page);
  await page.screenshot({ path: path.join(shots, 'portal-home-phone.png'), fullPage: true });
  // The list of filings, the widest table, at the phone's width too.
  await page.goto(`${base}/portal/filings`);
  const filingsPage = await look(page);
  await page.screenshot({ path: path.join(shots, 'portal-filings-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: path.join(shots, 'portal-home-desktop.png'), fullPage: true });
  const cookies = (await context.cookies()).map((c) => ({
    name: c.name, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite,
  }));

  // The filing's page follows the court's decisions live, without reloading.
  let live = null;
  const filing = optional('filing');
  if (filing) {
    await page.goto(`${base}/portal/filings/${filing}`);
    let loads = 0;
    page.on('load', () => { loads += 1; });
    const before = await look(page);
    await fs.writeFile(arg('ready-file'), 'ready');
    await page.waitForFunction(() => document.getElementById('live-note')?.textContent !== '',
      null, { timeout: 120000 });
    live = { before, after: await look(page), loads };
    await page.goto(`${base}/portal/`);
  }

  // A forged CSRF token in the sign-out form: refused, still signed in.
  await page.evaluate(() => { document.querySelector('input[name=csrf]').value = 'forged'; });
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  const forged = await look(page);
  await page.goto(`${base}/portal/`);
  const stillIn = await look(page);

  const toSignOut = await tabTo(page, '退出登录');
  await submitWith(page, 'Enter');
  const signedOut = await look(page);
  await browser.close();
  console.log(JSON.stringify({
    status: first.status(),
    csp: headers['content-security-policy'] ?? null,
    hsts: headers['strict-transport-security'] ?? null,
    signInPage, codePage, homePage, filingsPage, live, forged, stillIn, signedOut,
    presses: { toLicence, toEmail, toSend, toSignOut },
    cookies, problems, failed,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
