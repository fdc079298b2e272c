// The portal's filing timed as a lawyer lives it, for benches/portal.rs: from choosing the files to
// the receipt page, in Debian's Chromium, `--rounds` times on one signed-in session (each round a
// fresh form, so a fresh request id).
//
// Usage: node portal_timing.mjs --base URL --cookie V --files A,B,C --rounds N --home DIR --shots DIR
// Prints one JSON line: {"ms": [...]} (milliseconds per round).
import { arg, launch, newPage } from './harness.mjs';

async function main() {
  const [base, cookie, home] = [arg('base'), arg('cookie'), arg('home')];
  const files = arg('files').split(',');
  const rounds = Number(arg('rounds'));
  const browser = await launch(home);
  const problems = [];
  const { context, page } = await newPage(browser, 1280, 800, problems);
  await context.addCookies([{ name: '__Host-ecenter-portal', value: cookie, url: base,
    secure: true, httpOnly: true, sameSite: 'Lax' }]);
  const ms = [];
  const trace = [];
  let t0 = 0;
  const at = () => Math.round(performance.now() - t0);
  page.on('request', (r) => trace.push(`${at()} > ${r.method()} ${new URL(r.url()).pathname}`));
  page.on('requestfinished', (r) => trace.push(`${at()} < ${r.method()} ${new URL(r.url()).pathname}`));
  for (let round = 0; round < rounds; round++) {
    await page.goto(`${base}/portal/file`);
    await page.selectOption('#kind', 'COMPLAINT');
    await page.fill('#title', `计时第 ${round + 1} 次`);
    const started = performance.now();
    t0 = started;
    trace.length = 0;
    await page.setInputFiles('#files', files);
    await page.waitForFunction((n) => document.querySelectorAll('#file-list li[data-checked=accepted]')
      .length === n, files.length);
    trace.push(`${at()} checked`);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/receipt$/, { timeout: 300000 });
    ms.push(performance.now() - started);
  }
  await browser.close();
  if (problems.length) throw new Error(`console errors: ${problems.join('; ')}`);
  console.log(JSON.stringify({ ms, trace }));
}

main().catch((e) => { console.error(e); process.exit(1); });
