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
