// Chromium's own floor under the portal's figure (benches/portal.rs): the same files chosen in a
// page and POSTed at once, one XMLHttpRequest each with a progress listener, to a Node.js HTTPS
// server on loopback that reads every byte and throws it away. No announcements, no pieces, no
// digests, no log: what this takes is what Chromium and TLS take to move whole files by XHR on
// this machine (the way the portal moves them), with a receiver that does nothing else.
//
// Usage: node upload_floor.mjs --cert PEM --key PEM --files A,B,C --protocol http1|h2 --home DIR
//        --shots DIR
// Prints one JSON line: {"ms": n, "protocol": "<what Chromium used>", "bytes": [...]} — bytes as
// the sink counted them, in the order the files were given.
import fs from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import { arg, launch, newPage } from './harness.mjs';

const PAGE = `<!doctype html><meta charset=utf-8><title>floor</title>
<input type=file id=files multiple><progress id=bar max=1 value=0></progress>
<script src=/floor.js></script>`;

const SCRIPT = `
document.getElementById('files').addEventListener('change', (e) => {
  const files = [...e.target.files];
  const total = files.reduce((n, f) => n + f.size, 0);
  const sent = files.map(() => 0);
  const bar = document.getElementById('bar');
  const one = (f, i) => new Promise((ok, fail) => {
    const x = new XMLHttpRequest();
    x.open('POST', '/sink/' + i);
    x.upload.onprogress = (p) => { sent[i] = p.loaded; bar.value = sent.reduce((a, b) => a + b, 0) / total; };
    x.onload = () => (x.status === 204 ? ok() : fail(new Error('HTTP ' + x.status)));
    x.onerror = () => fail(new Error('network'));
    x.send(f);
  });
  Promise.all(files.map(one)).then(
    () => { document.body.dataset.done = 'yes'; },
    (err) => { document.body.dataset.done = 'failed: ' + err.message; });
});`;

/// The sink: the page, its script, and POST /sink/<i> counted and discarded (204).
function handler(received) {
  return (req, res) => {
    if (req.method === 'GET') {
      const js = req.url === '/floor.js';
      res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html; charset=utf-8' });
      res.end(js ? SCRIPT : PAGE);
      return;
    }
    let n = 0;
    req.on('data', (chunk) => { n += chunk.length; });
    req.on('end', () => {
      received[Number(req.url.split('/').pop())] = n;
      res.writeHead(204);
      res.end();
    });
  };
}

/// HTTP/1.1 (as the hub's page listener speaks it) or HTTP/2 with windows as large as hyper's
/// defaults or larger, so that flow control is not what is measured.
function sink(protocol, received) {
  const tls = { cert: fs.readFileSync(arg('cert')), key: fs.readFileSync(arg('key')) };
  if (protocol === 'http1') return https.createServer(tls, handler(received));
  const server = http2.createSecureServer(
    { ...tls, settings: { initialWindowSize: 16 * 1024 * 1024 } }, handler(received));
  server.on('session', (s) => s.setLocalWindowSize(64 * 1024 * 1024));
  return server;
}

async function main() {
  const files = arg('files').split(',');
  const protocol = arg('protocol');
  const received = [];
  const server = sink(protocol, received);
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `https://localhost:${server.address().port}`;
  const browser = await launch(arg('home'));
  const problems = [];
  const { page } = await newPage(browser, 1280, 800, problems);
  await page.goto(`${base}/`);
  const started = performance.now();
  await page.setInputFiles('#files', files);
  await page.waitForFunction(() => document.body.dataset.done, null, { timeout: 300000 });
  const ms = performance.now() - started;
  const done = await page.evaluate(() => document.body.dataset.done);
  const used = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('/sink/')).map((e) => e.nextHopProtocol));
  await browser.close();
  server.close();
  if (done !== 'yes') throw new Error(`upload ${done}`);
  if (problems.length) throw new Error(`console errors: ${problems.join('; ')}`);
  console.log(JSON.stringify({ ms, protocol: [...new Set(used)].join(','), bytes: received }));
}

main().catch((e) => { console.error(e); process.exit(1); });
