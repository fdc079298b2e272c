// What the browser tests share: their arguments, and Debian's Chromium launched headless with a
// HOME whose NSS database (filled by the Rust test with the development root only) checks the
// hub's certificate, and pages that note every console error.
import { chromium } from 'playwright-core';

/// The value of `--name`, which is required.
export function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`--${name} is required`);
  return process.argv[i + 1];
}

/// The value of `--name`, or null when not given.
export function optional(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 || i + 1 >= process.argv.length ? null : process.argv[i + 1];
}

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/// Chromium with `home` as its HOME (so its NSS database is the test's).
export function launch(home) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    env: { ...process.env, HOME: home },
  });
}

/// A page `width` × `height` in a Chinese locale on Beijing time; console errors and uncaught
/// exceptions go to `problems`.
export async function newPage(browser, width, height, problems) {
  const context = await browser.newContext({
    viewport: { width, height }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
  });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { context, page };
}
