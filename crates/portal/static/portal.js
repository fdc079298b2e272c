// The portal's one script (served by the hub; the CSP allows no other). A filing's page follows
// the filing's server-sent events and shows the court's decisions as they are recorded, without
// reloading; the note is a live region, so screen readers announce the change.
'use strict';

const live = document.querySelector('[data-events]');
const note = document.getElementById('live-note');
if (live && 'EventSource' in window) {
  const source = new EventSource(live.dataset.events);
  source.addEventListener('changed', (e) => {
    live.innerHTML = e.data; // the hub's own HTML, every value escaped
    if (note) note.textContent = '法院刚刚处理了这份材料，以上状态已更新。';
  });
  // A network break is retried by the browser; a refusal (signed out) closes the stream.
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED && note) {
      note.textContent = '实时更新已停止，请刷新页面或重新登录。';
    }
  });
}

// 网上提交材料: each chosen or dropped file is checked here first (size, count, and its type by
// its first bytes, as the hub judges it) and starts uploading the moment it passes, while the lawyer
// fills in the form: sent in pieces with a progress bar per file and overall. Nothing is recorded
// until the form is submitted; a file removed before then is deleted from the hub. After a dropped
// network the script asks the hub how much arrived and sends only the rest. The form's request id
// makes a resent filing land once.
//
// The page computes no SHA-256 of its own: that meant reading every file whole into the page (up
// to the court's limit, per file, on a phone too) and CPU the upload needs (on two cores
// Chromium's upload alone takes them both), for no added assurance. TLS carries the bytes intact,
// the browser refuses to read a file changed, moved or deleted since it was chosen (told apart
// from a dropped network below), and the receipt shows the SHA-256 the hub computed as the bytes
// arrived.
const form = document.getElementById('file-form');
if (form) {
  const csrf = form.dataset.csrf;
  const maxBytes = Number(form.dataset.maxBytes);
  const maxDocs = Number(form.dataset.maxDocs);
  const list = document.getElementById('file-list');
  const overall = document.getElementById('overall');
  const status = document.getElementById('file-status');
  const button = form.querySelector('button[type=submit]');
  const files = []; // {file, row, bar, text, id, sent, error}
  // Sizes as people read them: bytes, KB under a megabyte, MB above (never "0.0 MB").
  const mb = (n) =>
    n < 1024 ? `${n} 字节` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;
  const say = (text, error) => {
    status.textContent = text;
    status.className = error ? 'error' : '';
  };
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));

  // The type by content: PDF (a BOM allowed), PNG, JPEG, or a ZIP package (OFD, DOCX).
  const typeOf = async (file) => {
    const b = new Uint8Array(await file.slice(0, 8).arrayBuffer());
    const starts = (sig, at = 0) => sig.every((x, i) => b[at + i] === x);
    if (starts([0x25, 0x50, 0x44, 0x46, 0x2d]) || starts([0x25, 0x50, 0x44, 0x46, 0x2d], 3)) return 'PDF';
    if (starts([0x89, 0x50, 0x4e, 0x47])) return 'PNG';
    if (starts([0xff, 0xd8, 0xff])) return 'JPEG';
    if (starts([0x50, 0x4b, 0x03, 0x04])) return 'OFD/DOCX';
    return null;
  };

  // The extension a name gives that says another of the accepted types than its content (a PNG
  // named .pdf), as the hub refuses it; null when it agrees or names none of them.
  const misnamed = (name, type) => {
    const ext = (name.includes('.') ? name.split('.').pop() : '').toLowerCase();
    const says = { pdf: 'PDF', png: 'PNG', jpg: 'JPEG', jpeg: 'JPEG', ofd: 'OFD/DOCX', docx: 'OFD/DOCX' }[ext];
    return says && says !== type ? ext : null;
  };

  const add = async (file) => {
    const row = document.createElement('li');
    const text = document.createElement('span');
    const bar = document.createElement('progress');
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute('aria-label', file.name + ' 上传进度');
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = '移除';
    remove.setAttribute('aria-label', '移除 ' + file.name);
    row.append(text, ' ', remove, document.createElement('br'), bar);
    list.append(row);
    // The key names this choice of file to the hub: an announcement sent again after its answer
    // was lost gets the same upload, not a second one holding a place for an hour.
    // (randomUUID is newer than some browsers' engines in use; 16 random bytes serve as well.)
    const key = crypto.randomUUID?.() ?? Array.from(crypto.getRandomValues(new Uint8Array(16)),
      (b) => b.toString(16).padStart(2, '0')).join('');
    // Listed at once, in the order chosen: the count below includes files still being checked,
    // and the filing keeps this order.
    const entry = { file, key, row, bar, text, remove, id: null, sent: 0, done: 0, error: null,
      checked: false };
    const others = files.filter((f) => !f.error).length;
    files.push(entry);
    remove.addEventListener('click', () => {
      if (entry.id) call('DELETE', `/portal/uploads/${entry.id}`).catch(() => {});
      entry.error = 'removed';
      if (entry.xhr) entry.xhr.abort(); // a phone's data is not spent on a file no longer wanted
      row.remove();
      showOverall();
    });
    const refuse = (why) => {
      entry.error = why;
      text.textContent = why;
      text.className = 'error';
      bar.remove();
    };
    if (others >= maxDocs) {
      refuse(`「${file.name}」未加入：一次最多提交 ${maxDocs} 份文件。`);
    } else if (file.size === 0) {
      refuse(`「${file.name}」是空文件，未加入。`);
    } else if (file.size > maxBytes) {
      refuse(`「${file.name}」大小 ${mb(file.size)}，超过本院单个文件上限 ${mb(maxBytes)}，未加入。`);
    } else {
      const type = await typeOf(file).catch(() => 'unreadable');
      if (type === 'unreadable') refuse(`「${file.name}」无法读取（可能已被移动或删除），未加入。`);
      else
      if (!type) refuse(`「${file.name}」不是本院接受的文件类型（接受 PDF、OFD、DOCX、PNG、JPEG），未加入。`);
      else if (misnamed(file.name, type)) {
        refuse(`「${file.name}」的内容是 ${type}，文件名却是 .${misnamed(file.name, type)}：阅读者按文件名打开会失败。请改正文件名后重新选择，未加入。`);
      } else if (!entry.error) {
        text.textContent = `${file.name}（${type}，${mb(file.size)}）等待上传`;
        begin(entry);
      }
    }
    entry.checked = true;
    row.dataset.checked = entry.error ? 'refused' : 'accepted';
  };

  // Nothing is added while a submission is under way (it files the list as it stood). The input
  // is emptied after each choice, so a file removed can be chosen again.
  const input = document.getElementById('files');
  const pick = (chosen) => {
    if (button.disabled) return say('正在提交，文件未加入；提交完成后可在新的表单中添加。', true);
    return Promise.all(Array.from(chosen).map(add));
  };
  input.addEventListener('change', () => {
    pick(input.files);
    input.value = '';
  });
  const drop = document.getElementById('drop');
  drop.addEventListener('dragover', (e) => e.preventDefault());
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    pick(e.dataTransfer.files);
  });

  // Leaving the page without filing (a reload, another page) gives the hub its uploads back, so
  // they do not count against the lawyer's limit for the hour they would otherwise be kept.
  let filed = false;
  window.addEventListener('pagehide', (e) => {
    if (e.persisted || filed) return;
    files.filter((f) => f.id && !f.error).forEach((f) => {
      fetch(`/portal/uploads/${f.id}`, {
        method: 'DELETE', keepalive: true, credentials: 'same-origin', headers: { 'x-csrf-token': csrf },
      }).catch(() => {});
    });
  });

  const showOverall = () => {
    const good = files.filter((f) => !f.error && !f.stuck);
    const total = good.reduce((n, f) => n + f.file.size, 0);
    const sent = good.reduce((n, f) => n + f.sent, 0);
    overall.value = total ? sent / total : 0;
  };

  const call = async (method, url, body) => {
    const r = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    }).catch(() => {
      throw new Error('网络中断，请检查网络连接。'); // not final: tried again
    });
    const answer = await r.json().catch(() => ({}));
    if (!r.ok) {
      const e = new Error(answer.error || `服务器返回 ${r.status}`);
      e.final = r.status < 500;
      e.status = r.status;
      throw e;
    }
    return answer;
  };

  // One piece by XMLHttpRequest (fetch reports no upload progress); resolves with the hub's offset.
  const piece = (entry, from, to) => new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PATCH', `/portal/uploads/${entry.id}`);
    x.setRequestHeader('x-csrf-token', csrf);
    x.setRequestHeader('upload-offset', String(from));
    x.setRequestHeader('content-type', 'application/offset+octet-stream');
    x.upload.onprogress = (e) => {
      entry.sent = from + e.loaded;
      entry.bar.value = entry.sent / entry.file.size;
      showOverall();
    };
    x.onload = () => {
      let answer = {};
      try { answer = JSON.parse(x.responseText || '{}'); } catch { /* a proxy's page, not the hub's */ }
      const offset = Number(x.getResponseHeader('upload-offset') ?? answer.offset);
      if ((x.status === 200 || x.status === 409) && Number.isFinite(offset)) resolve(offset);
      else if (x.status === 200 || x.status === 409) reject(new Error('服务器的回答不完整'));
      else {
        const e = new Error(answer.error || `服务器返回 ${x.status}`);
        e.final = x.status < 500;
        e.status = x.status;
        reject(e);
      }
    };
    x.onerror = () => reject(new Error('网络中断'));
    x.onabort = () => {
      const e = new Error(`「${entry.file.name}」已移除。`);
      e.final = true;
      reject(e);
    };
    entry.xhr = x;
    x.send(entry.file.slice(from, to));
  });

  // Starts (or, after a failure, restarts) a file's upload; a failure is shown on the file's row
  // and the upload tried again when the form is submitted.
  const begin = (entry) => {
    entry.failed = null;
    entry.uploading = upload(entry).catch((e) => {
      entry.failed = e;
      // Refused for its content or size, or changed on disk: sending it again cannot help.
      if (e.stuck || e.status === 413 || e.status === 415) entry.stuck = e;
      showOverall();
      if (!entry.error) {
        entry.text.textContent = `${entry.file.name}：${e.message}`;
        entry.text.className = 'error';
      }
      throw e;
    });
    entry.uploading.catch(() => {}); // reported on the row, and again by the submission
    return entry.uploading;
  };

  // A file whose upload the hub no longer holds (filed with a refused filing, idle for an hour,
  // or the hub restarted) is sent again from its start.
  const upload = async (entry) => {
    try {
      await send(entry);
    } catch (e) {
      if (e.status !== 404 || entry.error) throw e;
      entry.id = null;
      entry.done = 0;
      entry.sent = 0;
      entry.bar.value = 0;
      await send(entry);
    }
  };

  // Whether the file still reads as chosen: the browser fails an upload of a changed file as if
  // the network had dropped, and refuses to read it at all.
  const unchanged = (file) => file.slice(0, 1).arrayBuffer().then(() => true, () => false);

  // A request of the script's, tried again while the network is down (at most ten times, waiting
  // up to ten seconds between tries, saying `retrying` each time); the hub's own refusals are final.
  const patiently = async (request, retrying = '网络中断，正在重新连接') => {
    for (let tries = 1; ; tries += 1) {
      try {
        return await request();
      } catch (e) {
        if (e.final || tries >= 10) throw e;
        say(`${retrying}（第 ${tries} 次）……`, true);
        await pause(Math.min(1000 * tries, 10000));
      }
    }
  };

  const send = async (entry) => {
    if (!entry.id) {
      const made = await patiently(() => call('POST', '/portal/uploads',
        { name: entry.file.name, size: entry.file.size, key: entry.key }));
      if (entry.error) {
        // Removed while it was being announced: the hub's slot goes too.
        call('DELETE', `/portal/uploads/${made.id}`).catch(() => {});
        throw new Error(`「${entry.file.name}」已移除。`);
      }
      entry.id = made.id;
      entry.piece = made.piece;
    }
    if (entry.done >= entry.file.size) {
      // Uploaded before (a refused or resent filing): the hub still holds it, or 404 starts over.
      const held = Number((await patiently(() => call('GET', `/portal/uploads/${entry.id}`))).offset);
      entry.done = Number.isFinite(held) ? held : 0;
    }
    let offset = entry.done;
    let tries = 0;
    while (offset < entry.file.size) {
      if (entry.error) throw new Error(`「${entry.file.name}」已移除，请重新提交。`);
      entry.text.className = '';
      entry.text.textContent = `${entry.file.name}：正在上传 ${mb(offset)} / ${mb(entry.file.size)}`;
      try {
        offset = await piece(entry, offset, Math.min(offset + entry.piece, entry.file.size));
        tries = 0;
      } catch (e) {
        if (e.final) throw e;
        if (!(await unchanged(entry.file))) {
          const changed = new Error(`「${entry.file.name}」在选择后被改动、移动或删除，请移除后重新选择。`);
          changed.final = true;
          changed.stuck = true;
          throw changed;
        }
        // Nothing is sent again until the hub says how much it holds: a piece sent into a network
        // still down is lost again, and part of the last piece may have arrived before the cut.
        // Asked for as long as the page is open (one count of tries, shown); a file removed
        // meanwhile stops the asking. What the hub itself said (a 5xx) is shown, not 网络中断.
        let heard = e.status ? e.message : null;
        for (;;) {
          if (entry.error) break; // the loop's top says so
          tries += 1;
          say(heard
            ? `服务器暂时无法处理（${heard}），正在重试（第 ${tries} 次）……已上传的部分不会重新发送。`
            : `网络中断，正在重新连接（第 ${tries} 次）……已上传的部分不会重新发送。`, true);
          await pause(Math.min(1000 * tries, 10000));
          let held;
          try {
            held = Number((await call('GET', `/portal/uploads/${entry.id}`)).offset);
          } catch (again) {
            if (again.final) throw again;
            heard = again.status ? again.message : null;
            continue;
          }
          if (Number.isFinite(held)) offset = held;
          say('已重新连接，从中断处继续上传。');
          break;
        }
      }
      entry.sent = offset;
      entry.done = offset;
      entry.bar.value = offset / entry.file.size;
      showOverall();
    }
    entry.text.className = '';
    entry.text.textContent = `${entry.file.name}：已上传（${mb(entry.file.size)}）`;
  };

  // The filing itself, resent after a network failure: the request id makes it land once.
  const file = (fields) => patiently(() => call('POST', '/portal/file', fields),
    '网络中断，正在重新提交');

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (files.some((f) => !f.checked && !f.error)) return say('文件仍在检查中，请稍候再提交。', true);
    const good = files.filter((f) => !f.error);
    if (!good.length) return say('请先选择要提交的文件。', true);
    const stuck = good.find((f) => f.stuck);
    if (stuck) return say(`${stuck.stuck.message} 请先移除该文件再提交。`, true);
    button.disabled = true;
    good.forEach((f) => { f.remove.disabled = true; });
    try {
      // Each file has been uploading since it was chosen (all at once: the small files arrive
      // while the large one is still under way). Once its upload settles the hub is asked again:
      // one that failed is sent on, one the hub no longer holds (an hour idle, a restart, a
      // refused filing that took it) is sent again from its start.
      say('正在等待文件上传完毕……');
      await Promise.all(good.map((f) => (f.uploading || Promise.resolve())
        .catch(() => {}).then(() => begin(f))));
      say('文件已全部上传，正在提交……');
      const data = new FormData(form);
      const answer = await file({
        request_id: data.get('request_id'),
        filing_kind: data.get('filing_kind'),
        case_number: data.get('case_number') || '',
        title: data.get('title') || '',
        corrects_filing_id: data.get('corrects_filing_id') || '',
        uploads: good.map((f) => f.id),
      });
      filed = true;
      say('法院已收到，正在打开签收单……');
      window.location.assign(answer.receipt);
    } catch (err) {
      say(err.message, true);
      button.disabled = false;
      good.forEach((f) => { f.remove.disabled = false; });
    }
  });
}

// 通行密钥 (WebAuthn): adding one on the passkeys page, signing in with one on the sign-in page.
// The hub sends options with base64url where WebAuthn wants bytes; the answers go back the same
// way. Shown only where the browser has WebAuthn; the forms say so otherwise.
const b64url = {
  bytes: (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
  text: (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
};
const hasWebAuthn = 'PublicKeyCredential' in window && navigator.credentials;

// A JSON POST of the portal's; the hub's {error} as the thrown message.
const postJson = async (url, body, csrf) => {
  const headers = { 'Content-Type': 'application/json' };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let r;
  try {
    r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body || {}), credentials: 'same-origin' });
  } catch {
    throw new Error('网络连接失败，请检查网络后重试。');
  }
  const answer = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(answer.error || `请求未成功（${r.status}），请稍后再试。`);
  return answer;
};

// What the browser's authenticator said no with, in words for the lawyer.
const authenticatorWords = (e) => (e && e.name === 'NotAllowedError'
  ? '操作已取消或超时，未完成验证。'
  : e && e.name === 'InvalidStateError'
    ? '这台设备上的通行密钥已经添加过了。'
    : `设备未能完成验证（${(e && e.name) || '未知错误'}）。`);

const passkeyAdd = document.getElementById('passkey-add');
if (passkeyAdd && hasWebAuthn) {
  passkeyAdd.hidden = false;
  document.getElementById('passkey-unsupported').hidden = true;
  const status = document.getElementById('passkey-add-status');
  const csrf = passkeyAdd.dataset.csrf;
  passkeyAdd.addEventListener('submit', async (e) => {
    e.preventDefault();
    const button = passkeyAdd.querySelector('button');
    button.disabled = true;
    status.className = '';
    status.textContent = '请按设备提示完成验证（指纹、面容或锁屏密码）……';
    try {
      const o = await postJson('/portal/passkeys/options', {}, csrf);
      const publicKey = {
        ...o,
        challenge: b64url.bytes(o.challenge),
        user: { ...o.user, id: b64url.bytes(o.user.id) },
        excludeCredentials: o.excludeCredentials.map((c) => ({ ...c, id: b64url.bytes(c.id) })),
      };
      let credential;
      try {
        credential = await navigator.credentials.create({ publicKey });
      } catch (err) {
        throw new Error(authenticatorWords(err));
      }
      const added = await postJson('/portal/passkeys', {
        challenge: o.challenge,
        name: document.getElementById('passkey-name').value,
        clientDataJson: b64url.text(credential.response.clientDataJSON),
        attestationObject: b64url.text(credential.response.attestationObject),
      }, csrf);
      status.textContent = `已添加通行密钥“${added.name}”。`;
      window.location.reload();
    } catch (err) {
      status.textContent = err.message;
      status.className = 'error';
      button.disabled = false;
    }
  });
}

const passkeySignIn = document.getElementById('passkey-sign-in');
if (passkeySignIn && hasWebAuthn) {
  passkeySignIn.hidden = false;
  const status = document.getElementById('passkey-sign-in-status');
  const button = document.getElementById('passkey-sign-in-button');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.className = '';
    status.textContent = '请按设备提示选择通行密钥并完成验证……';
    try {
      const o = await postJson('/portal/passkey/options');
      let credential;
      try {
        credential = await navigator.credentials.get({
          publicKey: { ...o, challenge: b64url.bytes(o.challenge) },
        });
      } catch (err) {
        throw new Error(authenticatorWords(err));
      }
      const r = credential.response;
      const answer = await postJson('/portal/passkey/sign-in', {
        challenge: o.challenge,
        id: credential.id,
        clientDataJson: b64url.text(r.clientDataJSON),
        authenticatorData: b64url.text(r.authenticatorData),
        signature: b64url.text(r.signature),
        userHandle: r.userHandle ? b64url.text(r.userHandle) : null,
      });
      status.textContent = '登录成功，正在打开……';
      window.location.assign(answer.location);
    } catch (err) {
      status.textContent = err.message;
      status.className = 'error';
      button.disabled = false;
    }
  });
}
