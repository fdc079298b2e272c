#!/usr/bin/env node
// An SMSC simulator for ecenter's tests, built on the published `smpp` package (npm, farhadi/node-smpp).
//
// It accepts SMPP 3.4 binds (transceiver, transmitter, receiver) checked against a system id and
// password, answers submit_sm with message ids, reassembles concatenated messages (UDH IE 0x00 or
// 0x08) and decodes their text (data_coding 8 = UCS-2), and sends delivery receipts (deliver_sm with
// esm_class 0x04) of the status each destination is configured for: DELIVRD, UNDELIV, EXPIRED,
// REJECTD, ACCEPTD, UNKNOWN, DELETED, or NONE (no receipt). Receipts wait for a bound receiver and
// are sent again if the connection drops before the client acknowledged them, as SMSCs do.
//
// Faults on demand: throttling (ESME_RTHROTTLED for the next N submits, or above a rate), a
// connection dropped after the Nth submit (accepted but never answered: the client cannot know),
// dropping every connection now, and going down and up again on the same port.
//
// Usage: node simulator.js [--port N] [--system-id ID] [--password PW] [--tls-cert F --tls-key F]
// (with a certificate and key it speaks SMPP over TLS from the first byte)
// Prints one JSON line {"smpp": port, "control": port} once listening. The control port speaks
// HTTP on loopback:
//   GET  /messages   every reassembled message: {dest, source, text, parts, ids, data_coding, ...}
//   GET  /stats      counters (binds, submits, throttled, drops, receipts_sent, receipts_acked, ...)
//   POST /config     merges JSON: {default_receipt, receipts: {dest: stat}, receipt_delay_ms,
//                    throttle_next, max_per_second, drop_after, submit_delay_ms}
//   POST /drop       destroys every connection now
//   POST /down       drops every connection and each new one as it arrives (the port kept);
//                    POST /up answers again
//   POST /receipt    {id, stat, dest}: sends a receipt for any id (e.g. one the client never sent)
'use strict';

const smpp = require('smpp');
const http = require('http');

const args = process.argv.slice(2);
function arg(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}
const systemId = arg('--system-id', 'ecenter');
const password = arg('--password', 'secret');
let smppPort = Number(arg('--port', '0'));
const tlsCert = arg('--tls-cert', null);
const tlsKey = arg('--tls-key', null);
const fs = require('fs');

const config = {
  default_receipt: 'DELIVRD',
  receipts: {},
  receipt_delay_ms: 20,
  throttle_next: 0,
  max_per_second: 0,
  drop_after: 0,
  submit_delay_ms: 0,
  // 'decimal': receipts name the decimal value of the hex id given in submit_sm_resp (a known
  // SMSC quirk); 'hex': as given.
  receipt_id_form: 'hex',
};
const stats = {
  binds: 0,
  bind_failures: 0,
  unbinds: 0,
  submits: 0,
  throttled: 0,
  drops: 0,
  receipts_sent: 0,
  receipts_acked: 0,
  enquire_links: 0,
  max_outstanding: 0,
};
const messages = [];
const partials = new Map();
const sessions = new Set();
// Receipts waiting for a bound receiver, and those sent but not yet acknowledged (by session).
const receiptQueue = [];
let nextId = 1;
let bucket = { second: 0, used: 0 };

const STATES = {
  ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8,
};

function smppTime(date) {
  const p = (n) => String(n).padStart(2, '0');
  return p(date.getUTCFullYear() % 100) + p(date.getUTCMonth() + 1) + p(date.getUTCDate()) +
    p(date.getUTCHours()) + p(date.getUTCMinutes());
}

function receiver() {
  for (const s of sessions) {
    if (s.bound === 'transceiver' || s.bound === 'receiver') return s;
  }
  return null;
}

function queueReceipt(receipt) {
  receiptQueue.push(receipt);
  flushReceipts();
}

function flushReceipts() {
  const s = receiver();
  if (!s) return;
  while (receiptQueue.length > 0) {
    const r = receiptQueue.shift();
    const text = `id:${r.id} sub:001 dlvrd:${r.stat === 'DELIVRD' ? '001' : '000'} ` +
      `submit date:${smppTime(r.submitted)} done date:${smppTime(new Date())} ` +
      `stat:${r.stat} err:${r.stat === 'DELIVRD' ? '000' : '001'} text:`;
    s.unacked.add(r);
    stats.receipts_sent++;
    s.deliver_sm({
      source_addr: r.dest,
      destination_addr: r.source,
      esm_class: 0x04,
      short_message: text,
      receipted_message_id: r.id,
      message_state: STATES[r.stat] || STATES.UNKNOWN,
    }, (resp) => {
      if (resp.command_status === 0) {
        s.unacked.delete(r);
        stats.receipts_acked++;
      }
    });
  }
}

function concatInfo(udhList) {
  for (const ie of udhList || []) {
    if (ie[0] === 0x00 && ie.length >= 5) return { ref: ie[2], total: ie[3], seq: ie[4] };
    if (ie[0] === 0x08 && ie.length >= 6) return { ref: ie.readUInt16BE(2), total: ie[4], seq: ie[5] };
  }
  return null;
}

function record(pdu, id) {
  const sm = pdu.short_message || {};
  const text = typeof sm.message === 'string' ? sm.message
    : Buffer.isBuffer(sm.message) ? sm.message.toString('latin1') : String(sm.message || '');
  const concat = concatInfo(sm.udh);
  const base = {
    source: pdu.source_addr,
    dest: pdu.destination_addr,
    data_coding: pdu.data_coding,
    registered_delivery: pdu.registered_delivery,
  };
  if (!concat) {
    messages.push({ ...base, text, parts: 1, ids: [id] });
    return;
  }
  const key = `${base.source}|${base.dest}|${concat.ref}|${concat.total}`;
  let p = partials.get(key);
  if (!p) {
    p = { ...base, parts: concat.total, texts: new Array(concat.total), ids: new Array(concat.total), got: 0 };
    partials.set(key, p);
  }
  if (concat.seq < 1 || concat.seq > concat.total) return;
  if (p.texts[concat.seq - 1] === undefined) p.got++;
  p.texts[concat.seq - 1] = text;
  p.ids[concat.seq - 1] = id;
  if (p.got === p.total || p.got === p.parts) {
    partials.delete(key);
    messages.push({
      source: p.source, dest: p.dest, data_coding: p.data_coding,
      registered_delivery: p.registered_delivery, text: p.texts.join(''), parts: p.parts,
      ids: p.ids, reference: concat.ref,
    });
  }
}

function throttled() {
  if (config.throttle_next > 0) {
    config.throttle_next--;
    return true;
  }
  if (config.max_per_second > 0) {
    const second = Math.floor(Date.now() / 1000);
    if (bucket.second !== second) bucket = { second, used: 0 };
    if (bucket.used >= config.max_per_second) return true;
    bucket.used++;
  }
  return false;
}

function onSession(session) {
  if (isDown) return session.destroy();
  session.bound = null;
  session.unacked = new Set();
  session.outstanding = 0;
  sessions.add(session);
  session.on('close', () => {
    sessions.delete(session);
    // Receipts the client never acknowledged go out again on its next connection.
    for (const r of session.unacked) receiptQueue.push(r);
    session.unacked.clear();
  });
  session.on('error', () => {});
  const bind = (kind) => (pdu) => {
    if (pdu.system_id !== systemId || pdu.password !== password) {
      stats.bind_failures++;
      session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
      return;
    }
    stats.binds++;
    session.bound = kind;
    session.send(pdu.response({ system_id: 'ECENTER-SIM' }));
    flushReceipts();
  };
  session.on('bind_transceiver', bind('transceiver'));
  session.on('bind_transmitter', bind('transmitter'));
  session.on('bind_receiver', bind('receiver'));
  session.on('enquire_link', (pdu) => {
    stats.enquire_links++;
    session.send(pdu.response());
  });
  session.on('unbind', (pdu) => {
    stats.unbinds++;
    session.send(pdu.response());
    session.close();
  });
  session.on('submit_sm', (pdu) => {
    if (session.bound !== 'transceiver' && session.bound !== 'transmitter') {
      session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    if (throttled()) {
      stats.throttled++;
      session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      return;
    }
    stats.submits++;
    const id = (nextId++).toString(16).toUpperCase().padStart(8, '0');
    record(pdu, id);
    const wanted = pdu.registered_delivery & 0x03;
    const stat = config.receipts[pdu.destination_addr] || config.default_receipt;
    const final = stat === 'DELIVRD' || stat === 'ACCEPTD' ? 'success' : 'failure';
    if (stat !== 'NONE' && (wanted === 1 || (wanted === 2 && final === 'failure'))) {
      const rid = config.receipt_id_form === 'decimal' ? String(parseInt(id, 16)) : id;
      const receipt = { id: rid, stat, dest: pdu.destination_addr, source: pdu.source_addr, submitted: new Date() };
      setTimeout(() => queueReceipt(receipt), config.receipt_delay_ms);
    }
    if (config.drop_after > 0 && stats.submits >= config.drop_after) {
      // Accepted (it will be delivered) but the answer never leaves: the client cannot know.
      config.drop_after = 0;
      stats.drops++;
      for (const s of [...sessions]) s.destroy();
      return;
    }
    // Submits taken and not yet answered on this session: the client's window at work.
    session.outstanding++;
    stats.max_outstanding = Math.max(stats.max_outstanding, session.outstanding);
    const answer = () => {
      session.outstanding--;
      session.send(pdu.response({ message_id: id }));
    };
    if (config.submit_delay_ms > 0) setTimeout(answer, config.submit_delay_ms);
    else answer();
  });
}

let server = null;
// While down the port stays bound (so no other process on the machine can take it meanwhile) and
// each connection is dropped as it arrives: the ESME sees its bind fail as with a dead SMSC.
let isDown = false;

function listen(port, done) {
  server = tlsCert
    ? smpp.createServer({ cert: fs.readFileSync(tlsCert), key: fs.readFileSync(tlsKey) }, onSession)
    : smpp.createServer(onSession);
  server.listen(port, '127.0.0.1', () => done(server.address().port));
}

function body(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (e) {
        resolve({});
      }
    });
  });
}

const control = http.createServer(async (req, res) => {
  const reply = (code, value) => {
    res.writeHead(code, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(value));
  };
  const input = req.method === 'POST' ? await body(req) : {};
  switch (`${req.method} ${req.url}`) {
    case 'GET /messages':
      return reply(200, messages);
    case 'GET /stats':
      return reply(200, { ...stats, sessions: sessions.size, receipts_waiting: receiptQueue.length });
    case 'POST /config':
      for (const [k, v] of Object.entries(input)) {
        if (k === 'receipts') Object.assign(config.receipts, v);
        else config[k] = v;
      }
      return reply(200, config);
    case 'POST /drop':
      stats.drops++;
      for (const s of [...sessions]) s.destroy();
      return reply(200, { dropped: true });
    case 'POST /down':
      isDown = true;
      for (const s of [...sessions]) s.destroy();
      return reply(200, { down: true });
    case 'POST /up':
      isDown = false;
      return reply(200, { up: true, port: smppPort });
    case 'POST /pdu': {
      // Any PDU the SMSC may send (query_sm, data_sm, alert_notification, an unknown id ...):
      // answers what the ESME responded, or null when it did not respond within wait_ms.
      const s = receiver();
      if (!s) return reply(409, { error: 'no bound receiver' });
      let done = false;
      const finish = (answer) => {
        if (done) return;
        done = true;
        reply(200, answer);
      };
      const pdu = new smpp.PDU(input.command, input.fields || {});
      if (input.command_id !== undefined) pdu.command_id = input.command_id;
      s.send(pdu, (resp) => finish({
        response: resp.command, command_status: resp.command_status, sequence_number: resp.sequence_number,
      }));
      setTimeout(() => finish({ response: null }), input.wait_ms || 1000);
      return;
    }
    case 'POST /mo': {
      // A handset's message (mobile-originated): esm_class 0, whatever its text.
      const s = receiver();
      if (!s) return reply(409, { error: 'no bound receiver' });
      s.deliver_sm({
        source_addr: input.source || '13900000000',
        destination_addr: input.dest || '12368',
        esm_class: input.esm_class || 0x00,
        short_message: input.text || '',
      }, () => {});
      stats.mo_sent = (stats.mo_sent || 0) + 1;
      return reply(200, { sent: true });
    }
    case 'POST /receipt':
      queueReceipt({
        id: String(input.id), stat: input.stat || 'DELIVRD', dest: input.dest || '10000',
        source: input.source || '12368', submitted: new Date(),
      });
      return reply(200, { queued: true });
    default:
      return reply(404, { error: `no such control: ${req.method} ${req.url}` });
  }
});

listen(smppPort, (port) => {
  smppPort = port;
  control.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ smpp: port, control: control.address().port }) + '\n');
  });
});
