// A lawyer files through the portal in a real browser (Debian's Chromium through playwright-core):
// chooses a text file named .pdf and one over the court's limit (each refused on the page, before
// any byte is sent); one that is uploaded and removed (its announcement's answer lost: announced
// again, the same upload comes back, and the removal deletes it); then three documents, one of
// 50 MiB, which start uploading as they are chosen; watches the progress bars; the network is cut
// once the large file's first piece has landed, the form is submitted while it is down, the
// network is restored, and the upload resumes where the hub says it stopped; the filing's first
// answer is lost on its way back and the page files again (the same filing comes back); the
// receipt page opens. Then the filing's page, where the court's decision (made over gRPC by the
// Rust test once --ready-file is written) arrives live. Screenshots at desktop and phone width are
// kept.
//
// The session cookie comes from the Rust test (a curl sign-in with a code caught at aiosmtpd).
//
// Usage: node portal_file.mjs --base URL --cookie V --files A,B,C --refused X,Y --ready-file F
//        --home DIR --shots DIR
// Prints one JSON line: what the browser saw.
import fs from 'node:fs/promises';
import path from 'node:path';
import { arg, launch, newPage } from './harness.mjs';

async function look(page) {
  return page.evaluate(() => ({
    title: document.querySelector('h1')?.textContent ?? '',
    text: document.querySelector('main')?.innerText ?? '',
    scrollWidth: document.scrollingElement.scrollWidth,
    clientWidth: document.scrollingElement.clientWidth,
  }));
}

/// Every text the status line shows and every value the overall bar is given, as they change,
/// kept on this side (the page navigates away to the receipt). A progress element's `value` is
/// reflected in its attribute, so each setting is seen, however fast they follow one another.
async function watch(page, statuses, overall) {
  await page.exposeFunction('noteStatus', (t) => statuses.push(t));
  await page.exposeFunction('noteOverall', (v) => overall.push(v));
  await page.evaluate(() => {
    const status = document.getElementById('file-status');
    new MutationObserver(() => window.noteStatus(status.textContent))
      .observe(status, { childList: true, characterData: true, subtree: true });
    const bar = document.getElementById('overall');
    let last = -1;
    new MutationObserver(() => {
      const v = Number(bar.value);
      if (v !== last) window.noteOverall(v);
      last = v;
    }).observe(bar, { attributes: true, attributeFilter: ['value'] });
  });
}

/// Waits until `test` holds, checking every 50 ms, for at most `ms`.
async function until(test, ms, what) {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function main() {
  const [base, cookie, home, shots] = [arg('base'), arg('cookie'), arg('home'), arg('shots')];
  const files = arg('files').split(',');
  const refused = arg('refused').split(',');
  const browser = await launch(home);
  const problems = [];
  const { context, page } = await newPage(browser, 1280, 800, problems);
  // The same console errors with the resource each names: a file changed under an upload fails
  // its request with whichever net error Chromium met first (ERR_UPLOAD_FILE_CHANGED, ERR_FAILED
  // or ERR_FILE_NOT_FOUND, by where the read was), which is excused for that upload alone.
  const located = [];
  page.on('console', (m) => {
    if (m.type() === 'error') located.push({ text: m.text(), url: m.location().url });
  });
  await context.addCookies([{ name: '__Host-ecenter-portal', value: cookie, url: base,
    secure: true, httpOnly: true, sameSite: 'Lax' }]);
  const failed = [];
  const resumedAt = [];
  // Each piece the browser sent: which upload, from which byte (Playwright shows no body size
  // for a file slice; the offsets show whether anything was sent from the start again).
  const patches = [];
  page.on('request', (r) => {
    if (r.method() === 'PATCH') patches.push({ url: r.url(), offset: Number(r.headers()['upload-offset']) });
  });
  page.on('response', async (r) => {
    if (r.status() >= 400) failed.push({ url: r.url(), status: r.status() });
    if (r.request().method() === 'GET' && r.url().includes('/portal/uploads/')) {
      // A resume asks mid-file; the submission's own check of a finished upload is not one.
      const held = await r.json().catch(() => ({}));
      if (held.offset < held.size) resumedAt.push(held.offset);
    }
  });
  await page.goto(`${base}/portal/file`);
  const formPage = await look(page);
  await page.screenshot({ path: path.join(shots, 'portal-file-desktop.png'), fullPage: true });

  await page.setInputFiles('#files', refused);
  await page.waitForFunction((n) => document.querySelectorAll('#file-list li[data-checked=refused]')
    .length === n, refused.length);
  const refusals = await page.$$eval('#file-list li', (rows) => rows.map((r) => r.innerText));

  // Uploads at 8 MiB/s (a fast office line) from here on, so that what the test does while a large
  // file is on its way surely lands inside it: unthrottled on loopback 40 MiB take a fraction of a
  // second, less than a busy machine may take to act. The network's cut and return later go
  // through the same DevTools session (Playwright's setOffline would not override its conditions).
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const network = (offline, uploadThroughput) => cdp.send('Network.emulateNetworkConditions',
    { offline, latency: 0, downloadThroughput: -1, uploadThroughput });
  const throttled = 8 * 1048576;
  await network(false, throttled);

  // A file changed on disk once its upload began: the upload stops with a message on its row (not
  // endless retries as for a dropped network), and the lawyer removes it. Chromium checks the file
  // as it opens each 16 MiB piece; the change is made when the first is sent, 2 s before the next.
  const changedPath = path.join(home, '改动过的证据.pdf');
  await fs.writeFile(changedPath, Buffer.concat([Buffer.from('%PDF-1.7\n'),
    Buffer.alloc(40 * 1048576, 0x25)]));
  let touched = null;
  let changedUrl = null;
  const touch = (r) => {
    if (r.method() !== 'PATCH' || touched) return;
    changedUrl = r.url();
    touched = fs.appendFile(changedPath, '%%EOF\n');
  };
  page.on('request', touch);
  await page.setInputFiles('#files', [changedPath]);
  await page.waitForFunction(() => document
    .querySelector('#file-list li[data-checked=accepted] span.error'), null, { timeout: 60000 });
  page.off('request', touch);
  const changed = await page.$eval('#file-list li[data-checked=accepted] span.error',
    (e) => e.textContent);
  const dropped = page.waitForResponse((r) => r.request().method() === 'DELETE',
    { timeout: 60000 });
  await page.click('#file-list li[data-checked=accepted] button');
  const changedRemoval = (await dropped).status();

  // A file chosen, uploaded and then removed: the hub is told to delete it, and it is not filed.
  // Its announcement is answered but the answer lost on the way: the page must announce it
  // again, and the hub must answer with the upload it made (the page's key), not make a second;
  // the removal deletes that one. (Routed for this step only: a route intercepts every request.)
  const announced = [];
  await page.route('**/portal/uploads', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const key = JSON.parse(route.request().postData() ?? '{}').key;
    if (!key) { // recorded as such, for the Rust test to name
      announced.push({ status: null, id: null, key: null });
      return route.continue();
    }
    const headers = { ...route.request().headers(), origin: new URL(base).origin };
    const answer = await route.fetch({ headers, timeout: 0 });
    const body = await answer.json().catch(() => null);
    announced.push({ status: answer.status(), id: body?.id ?? null, key });
    if (announced.length === 1) return route.abort('internetdisconnected');
    return route.fulfill({ response: answer });
  });
  await page.setInputFiles('#files', [files[1]]);
  await page.waitForFunction(() => document
    .querySelector('#file-list li[data-checked=accepted] span')?.textContent.includes('已上传'),
  null, { timeout: 60000 });
  await page.unroute('**/portal/uploads');
  const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE',
    { timeout: 60000 });
  await page.click('#file-list li[data-checked=accepted] button');
  const removed = await deleted;
  const removal = removed.status();
  const removedUrl = removed.url();
  patches.length = 0;

  await page.selectOption('#kind', 'COMPLAINT');
  await page.fill('#title', '张三诉李四买卖合同纠纷');
  const statuses = [];
  const overall = [];
  await watch(page, statuses, overall);
  // The network goes once the large file's first piece has landed (the small ones are whole by
  // then), the form is submitted while it is down, and it comes back after the page noticed.
  // Still at 8 MiB/s: the rest of the large file takes 4 s, time enough to cut inside it.
  const big = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.status() === 200
    && Number(r.headers()['upload-offset']) >= 16 * 1048576, { timeout: 60000 });
  const started = Date.now();
  await page.setInputFiles('#files', files);
  const bigUrl = (await big).url();
  await network(true, -1);
  // One small file's upload is forgotten by the hub behind the page's back (as after an hour idle
  // or a restart): the submission must find that out and send it again. Sent from Playwright's
  // side, which the page's offline state does not stop, with the page's cookie and CSRF token.
  const forgotten = patches.find((p) => p.url !== bigUrl).url;
  const csrf = await page.$eval('#file-form', (f) => f.dataset.csrf);
  const forgetting = await context.request.delete(forgotten, { headers:
    { 'x-csrf-token': csrf, origin: new URL(base).origin } });
  if (forgetting.status() !== 204) {
    throw new Error(`the hub kept ${forgotten}: ${forgetting.status()}`);
  }
  await page.waitForFunction((n) => document.querySelectorAll('#file-list li[data-checked=accepted]')
    .length === n, files.length, { timeout: 60000 });
  await until(() => statuses.some((t) => t.includes('已上传的部分不会重新发送')), 30000,
    'the page to notice the cut');
  const piecesBeforeSubmit = patches.length;
  // The filing's first answer is lost on its way back: the hub files it, the page hears only that
  // the network failed (the request goes to the hub from Playwright's side, trusting the test's
  // root through NODE_EXTRA_CA_CERTS). The page must send the same form again and say so, and the
  // request id must make the hub answer with the filing it already made.
  const [lost, answers] = [[], []];
  await page.route('**/portal/file', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    // Origin as the page's own fetch sends it: the portal refuses a POST that names no origin.
    const headers = { ...route.request().headers(), origin: new URL(base).origin };
    const answer = await route.fetch({ headers, timeout: 0 });
    const heard = { status: answer.status(), body: await answer.json().catch(() => null) };
    if (!lost.length) {
      lost.push(heard);
      return route.abort('internetdisconnected');
    }
    answers.push(heard);
    return route.fulfill({ response: answer });
  });
  await page.click('button[type=submit]');
  await page.waitForTimeout(1500);
  await network(false, -1);
  await page.waitForURL(/\/receipt$/, { timeout: 180000 });
  const elapsedMs = Date.now() - started;
  const receipt = await look(page);
  await page.screenshot({ path: path.join(shots, 'portal-receipt-desktop.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  const receiptPhone = await look(page);
  await page.screenshot({ path: path.join(shots, 'portal-receipt-phone.png'), fullPage: true });
  await page.goto(`${base}/portal/file`);
  const formPhone = await look(page);
  await page.screenshot({ path: path.join(shots, 'portal-file-phone.png'), fullPage: true });
  await page.goBack();

  // The filing's page: the court acts, the page shows it without a reload.
  await Promise.all([page.waitForNavigation(), page.click('text=查看审查进度')]);
  const filingId = page.url().split('/').at(-1);
  let loads = 0;
  page.on('load', () => { loads += 1; });
  // Written whole, then renamed into place: the Rust test reads it the moment it appears.
  await fs.writeFile(`${arg('ready-file')}.tmp`, filingId);
  await fs.rename(`${arg('ready-file')}.tmp`, arg('ready-file'));
  // The court starts a review, then accepts: two changes; the page shows the last one.
  await page.waitForFunction(() => document.getElementById('filing')?.innerText.includes('已接收'),
    null, { timeout: 120000 }).catch(() => {});
  const live = { ...(await look(page)), loads,
    note: await page.evaluate(() => document.getElementById('live-note')?.textContent ?? '') };
  await browser.close();
  console.log(JSON.stringify({
    formPage, refusals, changed, changedUrl, changedRemoval, removal, forgotten, piecesBeforeSubmit, receipt, receiptPhone, formPhone, live, filingId, elapsedMs,
    patches, resumedAt, statuses, overall, problems, located, failed, lost, answers, announced, removedUrl,
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
