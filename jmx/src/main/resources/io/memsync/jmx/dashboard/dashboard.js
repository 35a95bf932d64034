// The memsync dashboard: polls the node it is served by and draws what it answers. No framework, no network access
// but to that node. Text from the node only ever reaches the page as textContent, never as HTML.
'use strict';
(() => {
  const POLL_MS = 500;
  const HISTORY_MS = 60_000;
  const ACTION_HEADER = 'X-MemSync-Dashboard';
  const SERIES_COLORS = ['#2f6fde', '#e8590c', '#2e9e5b', '#ae3ec9', '#d6336c', '#0c8599', '#5c940d', '#f59f00'];
  const STATE_COLORS = { P: '#2e9e5b', M: '#cfd4dc', D: '#f08c00', S: '#2f6fde' };
  // A square that stands for several chunks shows the most telling state among them.
  const PRIORITY = { P: 0, M: 1, S: 2, D: 3 };
  const MAX_SQUARES = 20_000;
  const MAP_HEIGHT = 240;

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;

  const history = [];          // {t, throughput: Map(region -> MB/s), lag: Map(region -> epochs)}
  let lastCounters = new Map(); // region -> {time, bytesPushed}
  const seriesColor = new Map();
  const busy = new Set();       // regions with an action under way: their buttons stay disabled
  let timer = null;
  let polling = false;

  /** An element with properties and children; strings become text nodes, so nothing is parsed as HTML. */
  function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === 'class') {
        e.className = value;
      } else {
        e.setAttribute(key, value);
      }
    }
    e.append(...children);
    return e;
  }

  function text(id, value) {
    const e = $(id);
    if (e && e.textContent !== String(value)) {
      e.textContent = value;
    }
  }

  function percent(share) {
    return share == null ? '–' : `${(share * 100).toFixed(1)} %`;
  }

  function bytes(n) {
    const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1 && n % 1024 === 0) {
      n /= 1024;
      i++;
    }
    return `${n} ${units[i]}`;
  }

  function colorOf(region) {
    if (!seriesColor.has(region)) {
      seriesColor.set(region, SERIES_COLORS[seriesColor.size % SERIES_COLORS.length]);
    }
    return seriesColor.get(region);
  }

  async function request(url, options) {
    let response;
    try {
      response = await fetch(url, Object.assign({ cache: 'no-store' }, options));
    } catch (e) {
      throw new Error(`cannot reach the node (${e.message})`);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (ignored) {
      // Not JSON: the status says enough.
    }
    if (!response.ok) {
      throw new Error(body && body.error ? body.error : `${url}: HTTP ${response.status}`);
    }
    return body;
  }

  function post(url) {
    return request(url, { method: 'POST', headers: { [ACTION_HEADER]: '1' } });
  }

  function statusLine(message, kind) {
    const line = $('status-line');
    line.textContent = message;
    line.className = kind;
  }

  // ---- polling -------------------------------------------------------------------------------------------------

  async function poll() {
    if (polling) {
      return;
    }
    polling = true;
    clearTimeout(timer);
    try {
      const status = await request('/api/status');
      render(status);
      await refreshMaps(status);
      text('poll-state', `live · ${new Date(status.time).toLocaleTimeString()}`);
    } catch (e) {
      text('poll-state', `not updating: ${e.message}`);
    } finally {
      polling = false;
      timer = setTimeout(poll, POLL_MS);
    }
  }

  /** Polls again at once (after an action), or right after the poll under way. */
  function pollSoon() {
    if (!polling) {
      poll();
    }
  }

  function render(status) {
    text('node-name', status.node.name);
    text('node-id', status.node.memberId);
    text('node-data', status.node.dataAddress);
    document.title = `memsync · ${status.node.name}`;
    renderMembers(status.members);
    renderRegions(status);
    record(status);
    drawCharts(status.time);
  }

  function renderMembers(members) {
    const list = $('members');
    const items = members.map((m) => el('li', {
      id: `member-${m.name}`,
      class: `${m.live ? 'live' : 'dead'}${m.self ? ' self' : ''}`,
      title: `${m.uuid}${m.live ? '' : ' (left or died)'}`,
    }, `${m.name} ${m.address}${m.self ? ' (this node)' : ''}${m.live ? '' : ' (dead)'}`));
    list.replaceChildren(...items);
  }

  function renderRegions(status) {
    const names = new Set(status.regions.map((r) => r.name));
    for (const row of [...$('regions-body').children]) {
      if (!names.has(row.dataset.region)) {
        row.remove();
      }
    }
    $('no-regions').hidden = names.size > 0;
    const live = status.members.filter((m) => m.live).map((m) => m.name);
    for (const r of status.regions) {
      ensureRow(r.name);
      const role = $(`region-${r.name}-role`);
      role.className = `role-${r.role}`;
      text(role.id, r.role + (r.mounted ? ' (mounted)' : ''));
      text(`region-${r.name}-owner`, r.owner);
      text(`region-${r.name}-token`, r.token);
      text(`region-${r.name}-epoch`, r.epoch == null ? '–' : r.epoch);
      text(`region-${r.name}-lag`, r.lag == null ? '–' : r.lag);
      text(`region-${r.name}-availability`, percent(r.availability));
      text(`region-${r.name}-size`, `${bytes(r.size)} (${r.chunkCount} × ${bytes(r.chunkSize)})`);
      const replicas = r.replicas.map((name) => (name in r.replicaLags ? `${name} (lag ${r.replicaLags[name]})` : name));
      text(`region-${r.name}-replicas`, replicas.length ? replicas.join(', ') : 'none');
      text(`region-${r.name}-migration`, migration(r, status.node.name));

      const flush = $(`flush-${r.name}`);
      flush.disabled = busy.has(r.name) || r.role !== 'OWNER';
      flush.title = r.role === 'OWNER' ? 'End an epoch: returns once the replicas acknowledged every write before it'
        : `Flush on the owner's dashboard (${r.owner})`;
      const targets = live.filter((name) => name !== r.owner);
      const select = $(`migrate-target-${r.name}`);
      const current = [...select.options].map((o) => o.value);
      if (current.join('\n') !== targets.join('\n')) {
        const chosen = select.value;
        select.replaceChildren(...targets.map((name) => new Option(name, name)));
        if (targets.includes(chosen)) {
          select.value = chosen;
        }
      }
      const migrating = r.migratingTo != null;
      select.disabled = migrating || targets.length === 0;
      $(`migrate-${r.name}`).disabled = busy.has(r.name) || migrating || targets.length === 0;
    }
  }

  function migration(r, self) {
    const m = r.migration;
    if (m && (m.phase !== 'DONE' || r.migratingTo == null)) {
      let out = `${m.phase} → ${m.destination}`;
      if (m.phase === 'PREPARING' || m.phase === 'PRECOPY') {
        out += ` (${percent(m.destinationAvailability)} there)`;
      }
      if (m.lastPauseMs != null) {
        out += `, writers paused ${m.lastPauseMs.toFixed(2)} ms`;
      }
      if (m.failure) {
        out += `: ${m.failure}`;
      }
      return out;
    }
    if (r.migratingTo == null) {
      return '–';
    }
    return r.migratingTo === self ? `${r.owner} → ${self} (this node)` : `${r.owner} → ${r.migratingTo}`;
  }

  function ensureRow(name) {
    if ($(`region-${name}-row`)) {
      return;
    }
    const cell = (field, cls = '') => el('td', { id: `region-${name}-${field}`, class: cls });
    const flush = el('button', { id: `flush-${name}`, type: 'button' }, 'Flush');
    flush.addEventListener('click', () => flushRegion(name));
    const target = el('select', { id: `migrate-target-${name}`, 'aria-label': `destination of region ${name}` });
    const migrate = el('button', {
      id: `migrate-${name}`, type: 'button', title: 'Move the ownership to the chosen member while it is written',
    }, 'Migrate');
    migrate.addEventListener('click', () => migrateRegion(name));
    const row = el('tr', { id: `region-${name}-row` },
      el('td', { class: 'name' }, name), cell('role'), cell('owner'), cell('token', 'num'), cell('epoch', 'num'),
      cell('lag', 'num'), cell('availability', 'num'), cell('size', 'num'), cell('replicas'), cell('migration'),
      el('td', {}, flush, target, migrate));
    row.dataset.region = name;
    $('regions-body').append(row);
  }

  // ---- actions -------------------------------------------------------------------------------------------------

  async function act(region, running, call, failed) {
    busy.add(region);
    $(`flush-${region}`).disabled = true;
    $(`migrate-${region}`).disabled = true;
    statusLine(running, 'busy');
    try {
      const answer = await call();
      statusLine(answer.result, 'ok');
    } catch (e) {
      statusLine(`${failed}: ${e.message}`, 'error');
    } finally {
      busy.delete(region);
      pollSoon();
    }
  }

  function flushRegion(region) {
    return act(region, `flushing region ${region}…`, () => post(`/api/flush?region=${enc(region)}`),
      `flush of region ${region} failed`);
  }

  function migrateRegion(region) {
    const member = $(`migrate-target-${region}`).value;
    if (!member) {
      statusLine(`choose the member to migrate region ${region} to`, 'error');
      return undefined;
    }
    return act(region, `starting the migration of region ${region} to ${member}…`,
      () => post(`/api/migrate?region=${enc(region)}&member=${enc(member)}`),
      `migration of region ${region} to ${member} did not start`);
  }

  // ---- charts --------------------------------------------------------------------------------------------------

  function record(status) {
    const point = { t: status.time, throughput: new Map(), lag: new Map() };
    const counters = new Map();
    for (const r of status.regions) {
      counters.set(r.name, { time: status.time, bytesPushed: r.bytesPushed });
      const before = lastCounters.get(r.name);
      if (before && status.time > before.time) {
        const delta = r.bytesPushed - before.bytesPushed;
        // A new syncer (a change of owner) starts its counters again: no rate across it.
        if (delta >= 0 && (r.role === 'OWNER' || delta > 0)) {
          point.throughput.set(r.name, delta / ((status.time - before.time) / 1000) / 1e6);
        }
      }
      if (r.lag != null) {
        point.lag.set(r.name, r.lag);
      }
    }
    lastCounters = counters;
    history.push(point);
    while (history.length && history[0].t < status.time - HISTORY_MS) {
      history.shift();
    }
  }

  function drawCharts(now) {
    const shown = new Set();
    drawChart($('chart-throughput'), 'throughput', now, shown, 1);
    drawChart($('chart-lag'), 'lag', now, shown, 2);
    const legend = $('chart-legend');
    legend.replaceChildren(...[...shown].sort().map((name) => {
      const swatch = el('i', { class: 'swatch' });
      swatch.style.background = colorOf(name);
      return el('span', {}, swatch, name);
    }));
  }

  function niceCeiling(v, floor) {
    if (!(v > floor)) {
      return floor;
    }
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 2.5, 5, 10]) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  /** Sizes a canvas's backing store to its CSS size times the device pixel ratio; returns its 2D context. */
  function context(canvas, width, height) {
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    return ctx;
  }

  function drawChart(canvas, field, now, shown, floor) {
    const width = 560;
    const height = 180;
    const ctx = context(canvas, width, height);
    const left = 46;
    const right = 8;
    const top = 8;
    const bottom = 20;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const series = new Map();
    let max = 0;
    for (const point of history) {
      for (const [name, value] of point[field]) {
        if (!series.has(name)) {
          series.set(name, []);
        }
        series.get(name).push([point.t, value]);
        max = Math.max(max, value);
      }
    }
    const yMax = niceCeiling(max, floor);
    const x = (t) => left + plotW * (1 - (now - t) / HISTORY_MS);
    const y = (v) => top + plotH * (1 - v / yMax);

    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#6b7280';
    ctx.strokeStyle = '#e2e5ea';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      const py = Math.round(y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, py);
      ctx.lineTo(width - right, py);
      ctx.stroke();
      ctx.fillText(Number.isInteger(v) ? String(v) : v.toFixed(v < 1 ? 2 : 1), left - 6, py);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (const secondsAgo of [60, 45, 30, 15, 0]) {
      ctx.textAlign = secondsAgo === 0 ? 'right' : 'center';
      ctx.fillText(secondsAgo === 0 ? 'now' : `-${secondsAgo} s`, x(now - secondsAgo * 1000), height - bottom + 5);
    }
    ctx.textAlign = 'center';
    if (series.size === 0) {
      ctx.textBaseline = 'middle';
      ctx.fillText(field === 'lag' ? 'no region owned here' : 'no push yet', left + plotW / 2, top + plotH / 2);
      return;
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - 1, plotW, plotH + 2);
    ctx.clip();
    ctx.lineWidth = 1.8;
    ctx.lineJoin = 'round';
    for (const [name, points] of series) {
      shown.add(name);
      ctx.strokeStyle = colorOf(name);
      ctx.beginPath();
      points.forEach(([t, v], i) => (i === 0 ? ctx.moveTo(x(t), y(v)) : ctx.lineTo(x(t), y(v))));
      ctx.stroke();
    }
    ctx.restore();
  }

  // ---- chunk maps ----------------------------------------------------------------------------------------------

  async function refreshMaps(status) {
    const wanted = status.regions.filter((r) => r.role !== 'none' || r.mounted).map((r) => r.name);
    for (const m of status.mounts) {
      if (!wanted.includes(m.name)) {
        wanted.push(m.name);
      }
    }
    for (const box of [...$('maps').children]) {
      if (!wanted.includes(box.dataset.region)) {
        box.remove();
      }
    }
    $('no-maps').hidden = wanted.length > 0;
    for (const name of wanted) {
      ensureMap(name);
      try {
        drawMap(name, await request(`/api/chunks?region=${enc(name)}`));
      } catch (e) {
        text(`region-${name}-map-note`, `(not updating: ${e.message})`);
      }
    }
  }

  function ensureMap(name) {
    let box = $(`map-${name}`);
    if (!box) {
      box = el('div', { id: `map-${name}`, class: 'map' },
        el('h3', {}, name),
        el('div', { class: 'counts' },
          el('span', { id: `region-${name}-present` }, '0'), ' / ',
          el('span', { id: `region-${name}-chunks` }, '0'), ' chunks present · ',
          el('span', { id: `region-${name}-dirty` }, '0'), ' dirty · ',
          el('span', { id: `region-${name}-sent` }, '0'), ' pushed in the last second · ',
          el('span', { id: `region-${name}-map-note` }, '')),
        el('canvas', { id: `chunks-${name}`, 'aria-label': `chunk map of region ${name}` }));
      box.dataset.region = name;
      $('maps').append(box);
    }
    return box;
  }

  function drawMap(name, data) {
    const map = data.map;
    const n = map.length;
    const counts = { P: 0, M: 0, D: 0, S: 0 };
    for (let i = 0; i < n; i++) {
      counts[map[i]]++;
    }
    text(`region-${name}-present`, n - counts.M);
    text(`region-${name}-chunks`, n);
    text(`region-${name}-dirty`, counts.D);
    text(`region-${name}-sent`, counts.S);

    const perSquare = Math.max(1, Math.ceil(n / MAX_SQUARES));
    const squares = Math.ceil(n / perSquare);
    const available = Math.max(200, Math.min(1200, $('maps').clientWidth || 1000));
    const size = Math.max(2, Math.min(14, Math.floor(Math.sqrt((available * MAP_HEIGHT) / Math.max(1, squares)))));
    const columns = Math.max(1, Math.floor(available / size));
    const rows = Math.ceil(squares / columns);
    text(`region-${name}-map-note`, `${data.source} copy${perSquare > 1 ? ` · one square per ${perSquare} chunks` : ''}`);
    const ctx = context($(`chunks-${name}`), columns * size, Math.max(size, rows * size));
    const gap = size >= 5 ? 1 : 0;
    let color = null;
    for (let s = 0; s < squares; s++) {
      let state = 'P';
      const end = Math.min(n, (s + 1) * perSquare);
      for (let i = s * perSquare; i < end; i++) {
        if (PRIORITY[map[i]] > PRIORITY[state]) {
          state = map[i];
        }
      }
      if (STATE_COLORS[state] !== color) {
        color = STATE_COLORS[state];
        ctx.fillStyle = color;
      }
      ctx.fillRect((s % columns) * size, Math.floor(s / columns) * size, size - gap, size - gap);
    }
  }

  document.addEventListener('DOMContentLoaded', poll);
})();
