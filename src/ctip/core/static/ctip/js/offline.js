/* Offline entry of activities (decision record 0035): progressive enhancement of the staff pages.
 *
 * - Registers the service worker (/sw.js), which keeps the quick-entry page, the catalogues and
 *   the units in scope for when there is no connection.
 * - On the forms marked data-offline (the quick entry and the full form of an activity, its edit
 *   page, the report of a situation: decision records 0035 and 0038), without a connection, the
 *   entry is checked here (what can be checked without the server), then queued in IndexedDB
 *   with a UUID made once, when it was typed. No person's identity is kept: an activity holds
 *   none, a situation's reporter contact is never queued, files are never queued.
 * - An edit is sent with the version it was based on (If-Match); if someone saved the activity
 *   meanwhile, the server answers 409 with the current record, and the officer is shown both
 *   versions field by field to choose hers, theirs, or a mix: never a silent overwrite.
 * - Every staff page shows how many entries of the signed-in officer are not sent yet. When the
 *   connection returns they go to POST /api/v1/activities/batch (the session, X-CSRFToken); the
 *   server answers each UUID once, so a batch sent twice creates nothing new. An entry the server
 *   refuses stays with its reason until the officer corrects or discards it. "Correct" fills the
 *   form with it and keeps it on the device (decision record 0108); saving the form then puts
 *   the corrected entry in its place, under the same UUID, and sends it as any queued entry,
 *   with or without a connection: the server saves it once, or refuses it again with the
 *   reason. Leaving the form unsaved loses nothing.
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

  // --- the count on every page and the list on the pages with a queue -----------------------
  const queueBox = document.getElementById('offline-queue');
  const form = document.querySelector('form[data-offline]');
  const FORM_KIND = form ? form.dataset.offline : '';
  const kindOf = (entry) => entry.kind || 'activity';
  let correcting = null;  // the UUID of the refused entry in the form now, until it is saved

  function notice(text, kind) {
    const box = document.getElementById('offline-notice');
    if (!box) return;
    box.textContent = text;
    box.className = 'message ' + (kind || 'info');
    box.hidden = !text;
  }

  // Which entries this page lists: those of its form (an edit page: that activity's), or all.
  function listedHere(entry) {
    if (!FORM_KIND) return true;
    if (FORM_KIND === 'activity-edit') {
      return kindOf(entry) === 'edit' && String(entry.id) === form.dataset.id;
    }
    return kindOf(entry) === FORM_KIND;
  }

  function titleOf(entry) {
    if (kindOf(entry) === 'situation') {
      return say(T.situationOf, {what: entry.label || '', day: entry.created.slice(0, 10)});
    }
    if (kindOf(entry) === 'edit') return say(T.editOf, {title: entry.body.title});
    return entry.body.title + ' (' + entry.body.date + ')';
  }

  function pageOf(entry) {
    if (kindOf(entry) === 'situation') return T.situationForm;
    if (kindOf(entry) === 'edit') return T.activitiesPage + entry.id + '/edit/';
    return T.activityForm;
  }

  function button(text, className, action) {
    const b = document.createElement('button');
    b.type = 'button'; b.className = className; b.textContent = text;
    b.addEventListener('click', action);
    return b;
  }

  async function show() {
    const rows = await all();
    const count = document.getElementById('offline-count');
    count.textContent = say(T.unsent, {n: rows.length});
    count.hidden = rows.length === 0;
    status.dataset.count = String(rows.length);
    const card = document.getElementById('offline-card');
    if (card) {
      card.querySelector('[data-offline-card-count]').textContent = say(T.unsentCard,
                                                                         {n: rows.length});
      card.hidden = rows.length === 0;
    }
    if (!queueBox) return rows;
    const list = queueBox.querySelector('ul');
    list.replaceChildren();
    const here = rows.filter(listedHere);
    for (const entry of here) {
      const item = document.createElement('li');
      item.dataset.uuid = entry.uuid;
      const what = document.createElement('strong');
      what.textContent = titleOf(entry);
      item.append(what, ' ');
      const state = document.createElement('span');
      if (entry.uuid === correcting) {
        item.className = 'refused correcting';
        state.textContent = say(T.beingCorrected, {reason: entry.problem});
      } else if (entry.problem) {
        item.className = entry.conflict ? 'refused conflict' : 'refused';
        state.textContent = entry.conflict ? entry.problem : say(T.refused, {reason: entry.problem});
      } else {
        state.textContent = T.waiting;
      }
      item.append(state);
      if (entry.conflict && FORM_KIND === 'activity-edit') {
        item.append(conflictView(entry));  // chosen on the edit page, with the form's labels
      } else if (entry.problem) {
        if (entry.uuid !== correcting &&
            kindOf(entry) === (FORM_KIND === 'activity-edit' ? 'edit' : FORM_KIND)) {
          item.append(' ', button(T.correct, 'small', () => correct(entry)));
        } else {
          const open = document.createElement('a');
          open.href = pageOf(entry); open.textContent = T.openForm;
          item.append(' ', open);
        }
        item.append(' ', button(T.discard, 'small secondary', async () => {
          if (!window.confirm(T.discardConfirm)) return;
          if (entry.uuid === correcting) stopCorrecting();
          await drop(entry.uuid);
          await show();
        }));
      }
      list.append(item);
    }
    queueBox.hidden = here.length === 0;
    return rows;
  }

  // --- an edit saved by someone else meanwhile: both versions, field by field ----------------
  const SHOWN = ['date', 'status', 'title', 'format_id', 'campaign_id', 'movement_id',
                 'topic_ids', 'audience_ids', 'speaker_ids', 'participants_women',
                 'participants_men', 'participants_total', 'online_views', 'online_shares',
                 'materials_handed_out', 'coordinating_agencies', 'notes'];
  const FIELD_OF = {status: 'status', format_id: 'format', campaign_id: 'campaign', movement_id: 'movement',
                    topic_ids: 'topics', audience_ids: 'audiences', speaker_ids: 'speakers'};

  function same(a, b) {
    return JSON.stringify(a ?? null) === JSON.stringify(b ?? null) ||
      (a ?? '') === (b ?? '');
  }

  function shown(key, value) {
    if (value === null || value === undefined || value === '' ||
        (Array.isArray(value) && !value.length)) return T.empty;
    const name = FIELD_OF[key];
    const field = name && form && form.elements[name];
    const labelFor = (v) => {
      const option = field && field.options && [...field.options].find((o) => o.value === String(v));
      if (option) return option.textContent.replace(/^[—\s]+/, '').trim();
      const box = form && form.querySelector('input[name="' + name + '"][value="' + v + '"]');
      const label = box && box.closest('label');
      return label ? label.textContent.trim() : String(v);
    };
    if (Array.isArray(value)) return value.map(labelFor).join(', ');
    return name ? labelFor(value) : String(value);
  }

  function labelOfKey(key) {
    const name = FIELD_OF[key] || key;
    return form && form.elements[name] ? labelOf(name) : key;
  }

  function conflictView(entry) {
    const theirs = entry.conflict;
    const box = document.createElement('div');
    box.className = 'offline-conflict';
    const help = document.createElement('p');
    help.textContent = T.conflictHelp;
    box.append(help);
    const table = document.createElement('table');
    const head = table.createTHead().insertRow();
    for (const text of [T.field, T.mine, T.theirs]) {
      const th = document.createElement('th'); th.scope = 'col'; th.textContent = text;
      head.append(th);
    }
    const body = table.createTBody();
    const differing = SHOWN.filter((k) => k in entry.body || k in theirs)
      .filter((k) => !same(entry.body[k], theirs[k]));
    for (const key of differing) {
      const row = body.insertRow();
      row.dataset.field = key;
      const th = document.createElement('th'); th.scope = 'row'; th.textContent = labelOfKey(key);
      row.append(th);
      for (const [side, value] of [['mine', entry.body[key]], ['theirs', theirs[key]]]) {
        const cell = row.insertCell();
        const label = document.createElement('label');
        const radio = document.createElement('input');
        radio.type = 'radio'; radio.name = 'c-' + entry.uuid + '-' + key; radio.value = side;
        radio.checked = side === 'mine';
        label.append(radio, ' ', shown(key, value));
        cell.append(label);
      }
    }
    const wrap = document.createElement('div');
    wrap.className = 'table-scroll';
    wrap.append(table);
    box.append(wrap);
    const actions = document.createElement('p');
    actions.className = 'actions';
    actions.append(
      button(T.sendChosen, 'small', async () => {
        const chosen = Object.assign({}, entry.body);
        for (const key of differing) {
          const pick = box.querySelector('input[name="c-' + entry.uuid + '-' + key + '"]:checked');
          if (pick && pick.value === 'theirs') {
            if (theirs[key] === null || theirs[key] === undefined) delete chosen[key];
            else chosen[key] = theirs[key];
          }
        }
        entry.body = chosen;
        entry.version = theirs.version;
        delete entry.conflict; delete entry.problem;
        await put(entry);
        await sync();
      }),
      ' ',
      button(T.keepTheirs, 'small secondary', async () => {
        if (window.confirm(T.keepTheirsConfirm)) { await drop(entry.uuid); await show(); }
      }));
    box.append(actions);
    return box;
  }

  // --- sending ---------------------------------------------------------------------------------
  let sending = null;
  let again = false;

  // One send at a time; asked while one runs, another follows it, so that what was queued
  // meanwhile (a correction) goes too. Resolves with the queue as it is then.
  function sync() {
    if (sending) { again = true; return sending; }
    sending = (async () => {
      let rows;
      do { again = false; rows = await send(); } while (again);
      return rows;
    })().finally(() => { sending = null; });
    return sending;
  }

  function post(url, method, body, headers) {
    return fetch(url, {
      method, credentials: 'same-origin',
      headers: Object.assign({'Content-Type': 'application/json', 'Accept': 'application/json',
                              'X-CSRFToken': csrfToken()}, headers || {}),
      body: JSON.stringify(body),
    });
  }

  function reasonOf(problem) {
    problem = problem || {};
    return problem.detail || problem.title || '';
  }

  // One situation or one edit: true to go on with the next, false when nothing can be sent now.
  async function sendOne(entry, counts) {
    let response;
    try {
      response = entry.kind === 'situation'
        ? await post(T.situationsUrl, 'POST', Object.assign({uuid: entry.uuid}, entry.body))
        : await post(T.activitiesUrl + entry.id, 'PUT', entry.body,
                     {'If-Match': entry.version});
    } catch (e) {
      return false;  // the connection dropped again
    }
    if (response.ok) {
      await drop(entry.uuid);
      counts.sent += 1;
      return true;
    }
    let answer = {};
    try { answer = await response.json(); } catch (e) { /* not JSON: keep it, try later */ }
    if (response.status === 409 && answer.current) {
      entry.conflict = answer.current;
      entry.problem = T.conflict;
    } else if ([404, 409, 422].includes(response.status)) {
      entry.problem = reasonOf(answer) || String(response.status);
    } else {
      notice(T.notSent, 'warning');  // signed out, CSRF, too many requests: all stays queued
      return false;
    }
    await put(entry);
    counts.refused += 1;
    return true;
  }

  async function send() {
    if (!navigator.onLine) return show();
    const ready = (await all()).filter((e) => !e.problem);
    const waiting = ready.filter((e) => kindOf(e) === 'activity');
    const counts = {sent: 0, refused: 0};
    for (const entry of ready.filter((e) => kindOf(e) !== 'activity')) {
      if (!(await sendOne(entry, counts))) return finish(counts);
    }
    let {sent, refused} = counts;
    for (let i = 0; i < waiting.length; i += BATCH_MAX) {
      const chunk = waiting.slice(i, i + BATCH_MAX);
      let answers;
      try {
        const response = await post(BATCH, 'POST',
                                    {items: chunk.map((e) => Object.assign({uuid: e.uuid}, e.body))});
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
    return finish({sent, refused});
  }

  function finish({sent, refused}) {
    if (sent || refused) {
      notice(say(T.sent, {n: sent}) + (refused ? ' ' + say(T.refusedCount, {n: refused}) : ''),
             refused ? 'warning' : 'success');
    }
    return show();
  }

  // --- the forms -------------------------------------------------------------------------------
  const INTS = ['participants_women', 'participants_men', 'participants_total', 'online_views',
                'online_shares', 'materials_handed_out'];
  const IDS = {unit: 'unit_id', format: 'format_id', campaign: 'campaign_id',
               movement: 'movement_id'};
  const LISTS = {topics: 'topic_ids', audiences: 'audience_ids', speakers: 'speaker_ids'};
  const SITUATION_TEXTS = ['category', 'urgency', 'description', 'address', 'occurred_on',
                           'source'];

  function labelOf(name) {
    const field = form.elements[name];
    const el = field && (field.id ? field : field[0]);
    const label = el && el.id && form.querySelector('label[for="' + el.id + '"]');
    return label ? label.textContent.trim().replace(/:$/, '') : name;
  }

  function localToday() {
    const today = new Date();
    return today.getFullYear() + '-' + String(today.getMonth() + 1).padStart(2, '0') +
      '-' + String(today.getDate()).padStart(2, '0');
  }

  function required(body, pairs, errors) {
    for (const [name, key] of pairs) {
      if (form.elements[name] && !body[key]) errors.push(say(T.required, {field: labelOf(name)}));
    }
  }

  function readActivity() {
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
    // an edit page shows the unit (it cannot change) and keeps the club, which it does not show
    if (form.dataset.unit) body.unit_id = Number(form.dataset.unit);
    if (form.dataset.club) body.club_id = Number(form.dataset.club);
    required(body, [['date', 'date'], ['unit', 'unit_id'], ['format', 'format_id'],
                    ['title', 'title']], errors);
    if (body.date && !/^\d{4}-\d{2}-\d{2}$/.test(body.date)) {
      errors.push(say(T.badDate, {field: labelOf('date')}));
    }
    if (body.date && (body.status || 'done') === 'done' && body.date > localToday()) {
      errors.push(T.future);
    }
    const {participants_women: w, participants_men: m, participants_total: t} = body;
    if (t !== undefined && (w || 0) + (m || 0) > t) errors.push(T.moreThanTotal);
    if (!body.status) delete body.status;
    const files = form.elements.attachments;
    const hasFiles = files && files.files && files.files.length > 0;
    return {body, errors, hasFiles};
  }

  function readSituation() {
    const data = new FormData(form);
    const body = {};
    const errors = [];
    for (const name of SITUATION_TEXTS) {
      const value = (data.get(name) || '').toString().trim();
      if (value) body[name] = value;
    }
    const unit = (data.get('unit') || '').toString();
    if (unit) body.unit_id = Number(unit);
    required(body, [['category', 'category'], ['description', 'description'],
                    ['unit', 'unit_id']], errors);
    if (body.occurred_on && !/^\d{4}-\d{2}-\d{2}$/.test(body.occurred_on)) {
      errors.push(say(T.badDate, {field: labelOf('occurred_on')}));
    } else if (body.occurred_on && body.occurred_on > localToday()) {
      errors.push(say(T.fieldSays, {field: labelOf('occurred_on'), message: T.futureDate}));
    }
    // A reporter's phone number identifies a person: it is never kept on the device.
    if ((data.get('reporter_contact') || '').toString().trim()) {
      errors.push(correcting ? T.noContactCorrecting : T.noContact);
    }
    const category = form.elements.category;
    const label = category && category.selectedIndex > 0
      ? category.options[category.selectedIndex].textContent.trim() : '';
    return {body, errors, hasFiles: false, label};
  }

  function fill(entry) {
    const body = entry.body;
    const set = (name, value) => {
      const field = form.elements[name];
      if (!field) return;
      if (field instanceof RadioNodeList) {
        field.forEach((radio) => { radio.checked = radio.value === String(value ?? ''); });
      } else {
        field.value = value ?? '';
      }
    };
    if (kindOf(entry) === 'situation') {
      for (const name of SITUATION_TEXTS) if (name in body) set(name, body[name]);
      set('unit', body.unit_id);
      return 'description';
    }
    for (const name of ['date', 'status', 'title', 'coordinating_agencies', 'notes', ...INTS]) set(name, body[name]);
    for (const [name, key] of Object.entries(IDS)) set(name, body[key]);
    for (const [name, key] of Object.entries(LISTS)) {
      form.querySelectorAll('input[name="' + name + '"]').forEach((box) => {
        box.checked = (body[key] || []).includes(Number(box.value));
      });
    }
    return 'title';
  }

  // The refused entry goes into the form and stays on the device, marked as being corrected,
  // until the form is saved: the corrected entry then takes its place and is sent (queue).
  // Leaving the page keeps it as it was, refused, with its "Correct" button.
  function correct(entry) {
    if (!form) return;
    const focus = fill(entry);
    correcting = entry.uuid;
    show();
    notice(say(T.correcting, {reason: entry.problem}), 'warning');
    form.elements[focus].focus();
  }

  function stopCorrecting() {
    correcting = null;
  }

  const CLEARED = {
    activity: ['title', 'notes', 'coordinating_agencies', ...INTS],
    situation: ['category', 'description', 'address', 'reporter_contact'],
  };

  async function queue() {
    const reading = FORM_KIND === 'situation' ? readSituation() : readActivity();
    const {body, errors, hasFiles} = reading;
    if (errors.length) { notice(errors.join(' '), 'error'); return; }
    // A corrected entry takes the place of the refused one, under its UUID (a refusal keeps
    // nothing on the server), with the day it was first typed. The UUID makes it one entry
    // however often, and from however many tabs, it is sent. Gone from the device meanwhile
    // (sent or discarded from another tab): nothing is saved from this form.
    const corrected = correcting && (await all()).find((e) => e.uuid === correcting);
    if (correcting && !corrected) {
      stopCorrecting();
      notice(T.correctedGone, 'warning');
      await show();
      return;
    }
    const entry = {uuid: corrected ? corrected.uuid : newUuid(), user: USER,
                   created: corrected ? corrected.created : new Date().toISOString(),
                   kind: FORM_KIND === 'activity-edit' ? 'edit' : FORM_KIND, body};
    if (FORM_KIND === 'situation') entry.label = reading.label;
    if (FORM_KIND === 'activity-edit') {
      // A second edit of the same activity replaces the first one not yet sent, keeping the
      // version the first was based on: what she changed is compared with what she had read.
      const before = (await all()).find((e) => kindOf(e) === 'edit' &&
                                         String(e.id) === form.dataset.id && !e.conflict);
      entry.id = Number(form.dataset.id);
      entry.version = before ? before.version : form.dataset.version;
      if (before) entry.uuid = before.uuid;
    }
    await put(entry);
    const sendNow = Boolean(corrected) && navigator.onLine;
    stopCorrecting();
    if (sendNow) {  // sent now; what the server answers is said when it has (finish)
      notice(hasFiles ? T.noFilesCorrecting : '', 'warning');
    } else {
      notice((FORM_KIND === 'activity-edit' ? T.queuedEdit : T.queued) +
             (hasFiles ? ' ' + T.noFiles : ''), 'success');
    }
    for (const name of CLEARED[FORM_KIND] || []) {
      const field = form.elements[name];
      if (field && field.tagName === 'SELECT') field.selectedIndex = 0;
      else if (field) field.value = '';
    }
    if (form.elements.attachments) form.elements.attachments.value = '';
    await show();
    const first = FORM_KIND === 'situation' ? 'category' : 'title';
    if (form.elements[first]) form.elements[first].focus();
    if (sendNow) await sync();
  }

  if (form) {
    form.addEventListener('submit', (event) => {
      // online, the page posts as it always has; a correction goes the device's way (queue)
      if (navigator.onLine && !correcting) return;
      event.preventDefault();
      queue();
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

  document.querySelectorAll('[data-offline-send]').forEach((b) => b.addEventListener('click', () => {
    if (!navigator.onLine) { notice(T.notSent, 'warning'); return; }
    sync();
  }));

  // --- start -------------------------------------------------------------------------------------
  window.addEventListener('online', () => sync());
  window.addEventListener('offline', () => show());
  window.ctipOffline = {all, put, drop, sync, show};

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
