// A lawyer adds a passkey in a real browser and signs in with it: Debian's Chromium with its
// virtual WebAuthn authenticator (CDP `WebAuthn.addVirtualAuthenticator`: CTAP2, a platform
// authenticator with resident keys and user verification) makes and uses the key, so the hub's
// checks meet Chromium's own CBOR, COSE_Key and signatures. After a first sign-in with a code
// (caught by the Rust test at aiosmtpd, handed over in --code-file), the script adds a passkey,
// signs out and in with it, then tries what must fail: a signature altered on the way, an
// assertion sent again, a copied authenticator (its counter set back), and a removed passkey.
//
// Usage: node portal_passkey.mjs --base URL --licence N --code-file F --home DIR --shots DIR
// Prints one JSON line: what the browser saw at each step.
import fs from 'node:fs/promises';
import path from 'node:path';
import { arg, launch, newPage } from './harness.mjs';

const look = (page) => page.evaluate(() => ({
  title: document.querySelector('h1')?.textContent ?? '',
  text: document.querySelector('main')?.innerText ?? '',
  status: document.getElementById('passkey-sign-in-status')?.textContent ?? '',
  scrollWidth: document.scrollingElement.scrollWidth,
  clientWidth: document.scrollingElement.clientWidth,
}));

async function waitForCode(file) {
  for (let i = 0; i < 300; i++) {
    try { return (await fs.readFile(file, 'utf8')).trim(); } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no code was handed over');
}

const quiet = (p) => { p.catch(() => {}); return p; };

/// Clicks the sign-in page's passkey button; what the page then shows (home, or the refusal).
async function passkeySignIn(page, base) {
  await page.goto(`${base}/portal/`);
  await page.waitForSelector('#passkey-sign-in-button', { state: 'visible' });
  const navigated = quiet(page.waitForNavigation({ timeout: 60000 }));
  const refused = quiet(page.waitForSelector('#passkey-sign-in-status.error', { timeout: 60000 }));
  await page.click('#passkey-sign-in-button');
  await Promise.race([navigated, refused]);
  return look(page);
}

async function signOut(page, base) {
  await page.goto(`${base}/portal/`);
  await Promise.all([page.waitForNavigation(), page.click('text=退出登录')]);
}

async function signInWithCode(page, base, licence, codeFile) {
  await page.goto(`${base}/portal/`);
  await page.fill('#who', licence);
  await page.check('input[name=channel][value=email]');
  await Promise.all([page.waitForNavigation(), page.click('text=获取验证码')]);
  await page.fill('#code', await waitForCode(codeFile));
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  return look(page);
}

/// Adds a passkey named `name` on the passkeys page; the page after it reloaded (or the error).
async function addPasskey(page, base, name) {
  await page.goto(`${base}/portal/passkeys`);
  const before = await look(page);
  await page.fill('#passkey-name', name);
  // Added: the page reloads (read once loaded, not while the new page is still arriving).
  const navigated = quiet(page.waitForNavigation({ timeout: 60000 }));
  const refused = quiet(page.waitForSelector('#passkey-add-status.error', { timeout: 60000 }));
  await page.click('#passkey-add button');
  await Promise.race([navigated, refused]);
  return { before, after: await look(page) };
}

async function main() {
  const [base, licence, codeFile, home, shots] =
    [arg('base'), arg('licence'), arg('code-file'), arg('home'), arg('shots')];
  const browser = await launch(home);
  const problems = [];
  const { context, page } = await newPage(browser, 1280, 800, problems);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  const credentials = async () =>
    (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  const withCounter = async (cred, signCount) => {
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: cred.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...cred, signCount } });
  };

  const signedIn = await signInWithCode(page, base, licence, codeFile);
  const added = await addPasskey(page, base, '办公室电脑');
  await page.screenshot({ path: path.join(shots, 'portal-passkeys-desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const phone = await look(page);
  await page.screenshot({ path: path.join(shots, 'portal-passkeys-phone.png'), fullPage: true });
  const [registered] = await credentials();
  await signOut(page, base);

  // A signature altered between the browser and the hub.
  await page.route('**/portal/passkey/sign-in', async (route) => {
    const body = JSON.parse(route.request().postData());
    const end = body.signature.slice(-4);
    body.signature = body.signature.slice(0, -4) + (end === 'AAAA' ? 'BBBB' : 'AAAA');
    await route.continue({ postData: JSON.stringify(body) });
  });
  const tampered = await passkeySignIn(page, base);
  await page.unroute('**/portal/passkey/sign-in');

  let sent = null;
  page.on('request', (r) => { if (r.url().endsWith('/portal/passkey/sign-in')) sent = r.postData(); });
  const first = await passkeySignIn(page, base);
  const afterFirst = (await credentials())[0].signCount;
  await signOut(page, base);
  // The same assertion again, word for word.
  const replay = await page.evaluate(async (body) => {
    const r = await fetch('/portal/passkey/sign-in', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body,
    });
    return { status: r.status, body: await r.json() };
  }, sent);

  // A copy of the authenticator whose counter is behind the one the hub saw.
  await withCounter((await credentials())[0], 0);
  const cloned = await passkeySignIn(page, base);
  await withCounter((await credentials())[0], afterFirst + 10);
  const again = await passkeySignIn(page, base);

  await page.goto(`${base}/portal/passkeys`);
  await Promise.all([page.waitForNavigation(), page.click('#passkeys button')]);
  const removedPage = await look(page);
  await signOut(page, base);
  const afterRemoval = await passkeySignIn(page, base);
  await browser.close();
  console.log(JSON.stringify({
    signedIn, added, phone, tampered, first, replay, cloned, again, removedPage, afterRemoval,
    registered: {
      credentialId: registered.credentialId, rpId: registered.rpId,
      isResidentKey: registered.isResidentCredential, signCount: registered.signCount,
    },
    afterFirst,
    problems: problems.filter((p) => !p.includes('Failed to load resource')),
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
