/* Offline entry of activities (decision record 0035): progressive enhancement of the staff pages.
 *
 * - Registers the service worker (/sw.js), which keeps the quick-entry page, the catalogues and
 *   the units in scope for when there is no connection.
 * - On the quick-entry form, without a connection, the activity is checked here (what can be
 *   checked without the server), then queued in IndexedDB with a UUID made once, when it was
 *   typed. An activity holds no person's identity; files are never queued.
 * - Every staff page shows how many entries of the signed-in officer are not sent yet. When the
 *   connection returns they go to POST /api/v1/activities/batch (the session, X-CSRFToken); the
 *   server answers each UUID once, so a batch sent twice creates nothing new. An entry the server
 *   refuses stays with its reason until the officer corrects or discards it.
 * - Signing out with unsent entries warns and offers to send first.
 * Without JavaScript or IndexedDB, everything works as before.
 */
(function () {
  'use strict';
  const status = document.getElementById('offline-status');
  if (!status || !window.indexedDB) return;
  const T = status.dataset;
  const USER = T.user;
  const BATCH = T.batchUrl;
  const BATCH_MAX = 200;
  const DB_NAME = 'ctip-offline';
  const STORE = 'activities';
  const REFRESHED = 'ctip-offline-refreshed';
  const REFRESHED_BY = 'ctip-offline-refreshed-by';
  const REFRESH_MS = 15 * 60 * 1000;

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  }

  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE, {keyPath: 'uuid'});
        store.createIndex('user', 'user');
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function tx(mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const t = db.transaction(STORE, mode);
      const result = work(t.objectStore(STORE));
      t.oncomplete = () => { db.close(); resolve(result && 'result' in result ? result.result : result); };
      t.onerror = () => { db.close(); reject(t.error); };
    });
  }

  async function all() {
    const rows = await tx('readonly', (s) => s.index('user').getAll(USER));
    return rows.sort((a, b) => a.created.localeCompare(b.created));
  }
  const put = (entry) => tx('readwrite', (s) => { s.put(entry); });
  const drop = (uuid) => tx('readwrite', (s) => { s.delete(uuid); });

  function newUuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    // RFC 4122 version 4 from the browser's random source (randomUUID needs a secure origin)
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) +
      '-' + h.slice(20);
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']; }
    catch (e) { return ''; }
  }

  // --- the count on every page and the list on the quick-entry page --------------------------
  const queueBox = document.getElementById('offline-queue');

  function notice(text, kind) {
    const box = document.getElementById('offline-notice');
    if (!box) return;
    box.textContent = text;
    box.className = 'message ' + (kind || 'info');
    box.hidden = !text;
  }

  async function show() {
    const rows = await all();
    const count = document.getElementById('offline-count');
    count.textContent = say(T.unsent, {n: rows.length});
    count.hidden = rows.length === 0;
    status.dataset.count = String(rows.length);
    if (!queueBox) return rows;
    const list = queueBox.querySelector('ul');
    list.replaceChildren();
    for (const entry of rows) {
      const item = document.createElement('li');
      item.dataset.uuid = entry.uuid;
      const what = document.createElement('strong');
      what.textContent = entry.body.title + ' (' + entry.body.date + ')';
      item.append(what, ' ');
      const state = document.createElement('span');
      if (entry.problem) {
        item.className = 'refused';
        state.textContent = say(T.refused, {reason: entry.problem});
      } else {
        state.textContent = T.waiting;
      }
      item.append(state);
      if (entry.problem) {
        const fix = document.createElement('button');
        fix.type = 'button'; fix.className = 'small'; fix.textContent = T.correct;
        fix.addEventListener('click', () => correct(entry));
        const discard = document.createElement('button');
        discard.type = 'button'; discard.className = 'small secondary'; discard.textContent = T.discard;
        discard.addEventListener('click', async () => {
          if (window.confirm(T.discardConfirm)) { await drop(entry.uuid); await show(); }
        });
        item.append(' ', fix, ' ', discard);
      }
      list.append(item);
    }
    queueBox.hidden = rows.length === 0;
    return rows;
  }

  // --- sending ---------------------------------------------------------------------------------
  let sending = null;

  function sync() {
    if (!sending) sending = send().finally(() => { sending = null; });
    return sending;
  }

  async function send() {
    if (!navigator.onLine) return show();
    const waiting = (await all()).filter((e) => !e.problem);
    let sent = 0, refused = 0;
    for (let i = 0; i < waiting.length; i += BATCH_MAX) {
      const chunk = waiting.slice(i, i + BATCH_MAX);
      let answers;
      try {
        const response = await fetch(BATCH, {
          method: 'POST', credentials: 'same-origin',
          headers: {'Content-Type': 'application/json', 'Accept': 'application/json',
                    'X-CSRFToken': csrfToken()},
          body: JSON.stringify({items: chunk.map((e) => Object.assign({uuid: e.uuid}, e.body))}),
        });
        if (!response.ok) {
          // Signed out, a CSRF failure, too many requests: everything stays queued.
          notice(T.notSent, 'warning');
          break;
        }
        answers = await response.json();
      } catch (e) {
        break;  // the connection dropped again: try on the next "online"
      }
      for (const answer of answers) {
        const entry = chunk.find((e) => e.uuid === answer.uuid);
        if (!entry) continue;
        if (answer.status === 200 || answer.status === 201) {
          await drop(entry.uuid);
          sent += 1;
        } else {
          const problem = answer.problem || {};
          entry.problem = problem.detail || problem.title || String(answer.status);
          await put(entry);
          refused += 1;
        }
      }
    }
    if (sent || refused) {
      notice(say(T.sent, {n: sent}) + (refused ? ' ' + say(T.refusedCount, {n: refused}) : ''),
             refused ? 'warning' : 'success');
    }
    return show();
  }

  // --- the quick-entry form ----------------------------------------------------------------------
  const form = document.querySelector('form[data-offline="activity"]');
  const INTS = ['participants_women', 'participants_men', 'participants_total', 'online_views',
                'online_shares', 'materials_handed_out'];
  const IDS = {unit: 'unit_id', format: 'format_id', campaign: 'campaign_id',
               movement: 'movement_id'};
  const LISTS = {topics: 'topic_ids', audiences: 'audience_ids', speakers: 'speaker_ids'};

  function labelOf(name) {
    const field = form.elements[name];
    const el = field && (field.id ? field : field[0]);
    const label = el && el.id && form.querySelector('label[for="' + el.id + '"]');
    return label ? label.textContent.trim().replace(/:$/, '') : name;
  }

  function read() {
    const data = new FormData(form);
    const body = {};
    const errors = [];
    for (const name of ['date', 'status', 'title', 'coordinating_agencies', 'notes']) {
      const value = (data.get(name) || '').toString().trim();
      if (value || name === 'title' || name === 'date') body[name] = value;
    }
    for (const [name, key] of Object.entries(IDS)) {
      const value = (data.get(name) || '').toString();
      if (value) body[key] = Number(value);
    }
    for (const [name, key] of Object.entries(LISTS)) {
      body[key] = data.getAll(name).filter(Boolean).map(Number);
    }
    for (const name of INTS) {
      const raw = (data.get(name) || '').toString().trim();
      if (!raw) continue;
      if (!/^\d+$/.test(raw)) { errors.push(say(T.notCount, {field: labelOf(name)})); continue; }
      body[name] = Number(raw);
    }
    for (const [name, key] of [['date', 'date'], ['unit', 'unit_id'], ['format', 'format_id'],
                               ['title', 'title']]) {
      if (form.elements[name] && !body[key]) errors.push(say(T.required, {field: labelOf(name)}));
    }
    if (body.date && !/^\d{4}-\d{2}-\d{2}$/.test(body.date)) {
      errors.push(say(T.badDate, {field: labelOf('date')}));
    }
    const today = new Date();
    const local = today.getFullYear() + '-' + String(today.getMonth() + 1).padStart(2, '0') +
      '-' + String(today.getDate()).padStart(2, '0');
    if (body.date && (body.status || 'done') === 'done' && body.date > local) errors.push(T.future);
    const {participants_women: w, participants_men: m, participants_total: t} = body;
    if (t !== undefined && (w || 0) + (m || 0) > t) errors.push(T.moreThanTotal);
    if (!body.status) delete body.status;
    const files = form.elements.attachments;
    const hasFiles = files && files.files && files.files.length > 0;
    return {body, errors, hasFiles};
  }

  function correct(entry) {
    if (!form) return;
    const body = entry.body;
    const set = (name, value) => { if (form.elements[name]) form.elements[name].value = value ?? ''; };
    for (const name of ['date', 'status', 'title', 'coordinating_agencies', 'notes', ...INTS]) set(name, body[name]);
    for (const [name, key] of Object.entries(IDS)) set(name, body[key]);
    for (const [name, key] of Object.entries(LISTS)) {
      form.querySelectorAll('input[name="' + name + '"]').forEach((box) => {
        box.checked = (body[key] || []).includes(Number(box.value));
      });
    }
    drop(entry.uuid).then(show);
    notice(say(T.correcting, {reason: entry.problem}), 'warning');
    form.elements.title.focus();
  }

  if (form) {
    form.addEventListener('submit', async (event) => {
      if (navigator.onLine) return;  // online: the page posts as it always has
      event.preventDefault();
      const {body, errors, hasFiles} = read();
      if (errors.length) { notice(errors.join(' '), 'error'); return; }
      await put({uuid: newUuid(), user: USER, created: new Date().toISOString(), body});
      notice(T.queued + (hasFiles ? ' ' + T.noFiles : ''), 'success');
      for (const name of ['title', 'notes', 'coordinating_agencies', ...INTS]) {
        if (form.elements[name]) form.elements[name].value = '';
      }
      if (form.elements.attachments) form.elements.attachments.value = '';
      await show();
      form.elements.title.focus();
    });
  }

  // --- signing out ---------------------------------------------------------------------------------
  async function forget() {
    localStorage.removeItem(REFRESHED);
    localStorage.removeItem(REFRESHED_BY);
    if (window.caches) await caches.delete('ctip-offline-v1');
  }
  document.querySelectorAll('form[data-signout]').forEach((out) => {
    out.addEventListener('submit', async (event) => {
      if (out.dataset.confirmed) return;
      event.preventDefault();
      let rows = await all();
      if (rows.length && navigator.onLine && window.confirm(say(T.sendFirst, {n: rows.length}))) {
        rows = await sync();
      }
      if (rows.length && !window.confirm(say(T.signOutAnyway, {n: rows.length}))) return;
      await forget();
      out.dataset.confirmed = '1';
      out.submit();
    });
  });

  // --- start -------------------------------------------------------------------------------------
  window.addEventListener('online', () => sync());
  window.addEventListener('offline', () => show());
  window.ctipOffline = {all, put, sync, show};

  sync();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register(T.worker, {scope: '/'}).then(() => navigator.serviceWorker.ready)
      .then((registration) => {
        if (!navigator.onLine || !registration.active) return;
        // The copies are refreshed at most every REFRESH_MS for the same officer (the quick-entry
        // page is also refreshed whenever she opens it), and at once for another officer.
        const last = Number(localStorage.getItem(REFRESHED) || 0);
        const ready = () => { document.documentElement.dataset.offlineReady = '1'; };
        if (localStorage.getItem(REFRESHED_BY) === USER && Date.now() - last < REFRESH_MS) {
          ready();
          return;
        }
        const channel = new MessageChannel();
        channel.port1.onmessage = () => {
          localStorage.setItem(REFRESHED, String(Date.now()));
          localStorage.setItem(REFRESHED_BY, USER);
          ready();
        };
        registration.active.postMessage('refresh', [channel.port2]);
      })
      .catch(() => { /* without the worker the pages work as before */ });
  }
})();
