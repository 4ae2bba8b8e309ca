/* ---------- the grid in memory ---------- */
class GridStore {
  constructor(data) {
    this.listeners = new Set();
    this.rev = 0;
    this.colRev = 0;
    this.pending = new Map();   // row id -> Map(column id -> in-flight writes)
    this.rows = new Map();
    this.order = [];
    this.archivedLoaded = false;
    this.subscribe = fn => { this.listeners.add(fn); return () => this.listeners.delete(fn); };
    this.getRev = () => this.rev;
    this.load(data);
  }
  emit() {
    this.rev++;
    if (this.scheduled) return;
    this.scheduled = true;
    Promise.resolve().then(() => { this.scheduled = false; this.listeners.forEach(fn => fn()); });
  }
  setColumns(cols) {
    this.columns = cols;
    this.byId = {};
    cols.forEach(c => { this.byId[c.id] = c; });
    this.colRev++;
    this.emit();
  }
  // The compact grid: columns plus [row_id, version, ...values in column order].
  load(data) {
    const cols = data.columns || [];
    const ids = cols.map(c => c.id);
    const n = ids.length;
    const rows = new Map(), order = [];
    const prev = this.rows;
    this.prevOrder = this.order;
    for (const a of data.rows || []) {
      const values = {};
      for (let i = 0; i < n; i++) values[ids[i]] = a[i + 2];
      rows.set(a[0], { id: a[0], version: a[1], values, archived_at: null });
      order.push(a[0]);
    }
    this.rows = rows;
    this.order = order;
    // Archived rows shown with "Show archived" survive a reload of the live grid, where they were.
    if (this.archivedLoaded && prev) {
      const prevOrder = this.prevOrder || [];
      prev.forEach((r, id) => { if (r.archived_at && !rows.has(id)) rows.set(id, r); });
      this.placeInOrder(prevOrder);
    }
    this.version = data.version || 0;
    this.listCache = null;
    this.setColumns(cols);
  }
  // The grid's order from `ids` (the server's, archived rows included), so an archived investor
  // shows where it was rather than at the end; rows `ids` does not know keep their place after.
  placeInOrder(ids) {
    const known = new Set(), order = [];
    ids.forEach(id => { if (this.rows.has(id) && !known.has(id)) { known.add(id); order.push(id); } });
    // Rows missing from `ids` (created since) go in after the row they followed.
    this.order.forEach((id, i) => {
      if (known.has(id) || !this.rows.has(id)) return;
      const after = i > 0 ? order.indexOf(this.order[i - 1]) : -1;
      order.splice(after + 1, 0, id);
      known.add(id);
    });
    this.rows.forEach((_, id) => { if (!known.has(id)) order.push(id); });
    this.order = order;
    this.listCache = null;
  }
  insertInOrder(id, place) {
    const at = !place ? -1 : place.after && this.rows.has(place.after) ? this.order.indexOf(place.after) + 1
      : place.before && this.rows.has(place.before) ? this.order.indexOf(place.before) : -1;
    if (at > 0 || (at === 0 && place.before)) this.order.splice(at, 0, id); else this.order.push(id);
  }
  get(id) { return this.rows.get(id); }
  isPending(rowId, colId) { const m = this.pending.get(rowId); return !!(m && m.get(colId)); }
  markPending(rowId, colIds, delta) {
    let m = this.pending.get(rowId);
    if (!m) { m = new Map(); this.pending.set(rowId, m); }
    colIds.forEach(c => { const n = (m.get(c) || 0) + delta; if (n > 0) m.set(c, n); else m.delete(c); });
    if (!m.size) this.pending.delete(rowId);
  }
  // A row from the server (full shape). Older versions are ignored; cells with writes of ours
  // still in flight keep their optimistic value until our own answer arrives. A new row goes last,
  // or beside the row `place` names ({after} or {before}: Insert above / below, the change feed).
  putRow(r, force, place) {
    if (!r || !r.id) return false;
    const cur = this.rows.get(r.id);
    if (cur && !force && typeof r.version === 'number' && r.version < cur.version) return false;
    const values = { ...(cur ? cur.values : {}), ...(r.values || {}) };
    const pend = this.pending.get(r.id);
    if (cur && pend) pend.forEach((_, colId) => { values[colId] = cur.values[colId]; });
    const row = { id: r.id, version: typeof r.version === 'number' ? r.version : (cur ? cur.version : 0), values, archived_at: r.archived_at || null };
    if (!cur) this.insertInOrder(r.id, place);
    this.rows.set(r.id, row);
    this.listCache = null;
    this.emit();
    return true;
  }
  setCells(rowId, values) {
    const cur = this.rows.get(rowId);
    if (!cur) return;
    this.rows.set(rowId, { ...cur, values: { ...cur.values, ...values } });
    this.listCache = null;
    this.emit();
  }
  list(showArchived) {
    const key = showArchived ? 'all' : 'live';
    if (this.listCache && this.listCache.key === key) return this.listCache.rows;
    const out = [];
    for (const id of this.order) { const r = this.rows.get(id); if (r && (showArchived || !r.archived_at)) out.push(r); }
    this.listCache = { key, rows: out };
    return out;
  }
  liveCount() { let n = 0; this.rows.forEach(r => { if (!r.archived_at) n++; }); return n; }
}

function useLatest(value) { const r = useRef(value); r.current = value; return r; }
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/* ---------- writes: optimistic, one queue per row, conflicts, undo ----------
   write(edits) takes [{rowId, colId, value, base?}] (base: the row version the person saw when
   they started editing). One row -> PATCH /rows/{id}; several -> PATCH /rows (one transaction,
   all or nothing). Writes to one row go out one after another, so our own previous write is
   never mistaken for someone else's change. */
class GridWriter {
  constructor(store, hooks) {
    this.store = store;
    this.hooks = hooks;          // {me(), onConflict(c), onError(err), onBusy(n)}
    this.queues = new Map();
    this.own = new Map();        // row id -> {from, to}: versions our own last write moved between
    this.undoStack = [];
    this.redoStack = [];
    this.busy = 0;
  }
  expected(rowId, base) {
    const row = this.store.get(rowId);
    const cur = row ? row.version : undefined;
    if (base === undefined || base === null || cur === undefined) return cur;
    const own = this.own.get(rowId);
    if (own && own.to === cur && base >= own.from) return cur;
    return Math.min(base, cur);
  }
  write(edits, opts = {}) {
    const store = this.store;
    const groups = new Map();
    edits.forEach(e => {
      const row = store.get(e.rowId), col = store.byId[e.colId];
      if (!row || !col || col.editable === false || row.archived_at) return;
      if (!opts.raw && !opts.force && sameValue(row.values[e.colId], e.value)) return;
      if (!groups.has(e.rowId)) groups.set(e.rowId, { id: e.rowId, values: {}, edits: [], base: e.base });
      const g = groups.get(e.rowId);
      g.values[e.colId] = e.value;
      g.edits.push({ colId: e.colId, value: e.value, before: row.values[e.colId] });
    });
    const list = [...groups.values()];
    if (!list.length) return Promise.resolve(null);
    if (!opts.raw) list.forEach(g => { store.markPending(g.id, Object.keys(g.values), 1); store.setCells(g.id, g.values); });
    // The undo entry exists from the moment of the edit: Cmd+Z right after an edit undoes it even
    // while it is still on its way (the undo queues behind it on the same rows).
    if (opts.undoable !== false) {
      const changes = [];
      list.forEach(g => g.edits.forEach(e => changes.push({ rowId: g.id, colId: e.colId, before: e.before, after: e.value })));
      opts = { ...opts, entry: { changes, label: opts.label || 'edit' } };
      this.undoStack.push(opts.entry);
      if (this.undoStack.length > 200) this.undoStack.shift();
      if (!opts.keepRedo) this.redoStack = [];
    }
    const waitFor = Promise.all(list.map(g => this.queues.get(g.id)));
    this.setBusy(1);
    const p = waitFor.then(() => this.send(list, opts, 0)).finally(() => this.setBusy(-1));
    const tail = p.catch(() => null);
    list.forEach(g => this.queues.set(g.id, tail));
    tail.then(() => list.forEach(g => { if (this.queues.get(g.id) === tail) this.queues.delete(g.id); }));
    return p;
  }
  setBusy(d) { this.busy += d; this.hooks.onBusy && this.hooks.onBusy(this.busy); }
  settle(list, opts) { if (!opts.raw) list.forEach(g => this.store.markPending(g.id, Object.keys(g.values), -1)); }
  revert(list, opts) {
    if (opts.raw) return;
    list.forEach(g => {
      const row = this.store.get(g.id);
      if (!row) return;
      const back = {};
      g.edits.forEach(e => { if (sameValue(row.values[e.colId], e.value)) back[e.colId] = e.before; });
      if (Object.keys(back).length) this.store.setCells(g.id, back);
    });
  }
  async send(list, opts, attempt) {
    const store = this.store;
    const payload = list.map(g => ({ id: g.id, values: g.values, expected_version: this.expected(g.id, g.base) }));
    try {
      let rows;
      if (payload.length === 1) {
        const p = payload[0];
        rows = [(await api('/api/fundraising/rows/' + encodeURIComponent(p.id), { method: 'PATCH', body: { values: p.values, expected_version: p.expected_version } })).data];
      } else {
        rows = (await api('/api/fundraising/rows', { method: 'PATCH', body: { rows: payload } })).data || [];
      }
      this.settle(list, opts);
      rows.forEach(r => {
        const sent = payload.find(p => p.id === r.id);
        if (sent && typeof sent.expected_version === 'number') this.own.set(r.id, { from: sent.expected_version, to: r.version });
        store.putRow(r, true);
      });
      if (opts.entry) opts.entry.changes.forEach(c => { const r = rows.find(x => x.id === c.rowId); if (r && c.colId in r.values) c.after = r.values[c.colId]; });
      return rows;
    } catch (err) {
      const body = (err && err.body) || {};
      if (err.status === 409 && body.code === 'version_conflict' && body.current) {
        const me = this.hooks.me();
        const self = (body.conflicts || []).length && body.conflicts.every(c => c.by === me.username);
        store.putRow(body.current);
        if (self && attempt < 2) {
          // Only our own earlier writes touched these cells: nothing to resolve.
          list.forEach(g => { if (g.id === body.current.id) g.base = body.current.version; });
          return this.send(list, opts, attempt + 1);
        }
        this.settle(list, opts);
        this.revert(list, opts);
        this.forget(opts.entry);
        store.putRow(body.current, true);
        this.hooks.onConflict({ list, opts: { ...opts, entry: null }, current: body.current, conflicts: body.conflicts || [] });
        return null;
      }
      this.settle(list, opts);
      this.revert(list, opts);
      this.forget(opts.entry);
      if (body.current) store.putRow(body.current, true);
      this.hooks.onError(err);
      return null;
    }
  }
  forget(entry) {
    if (!entry) return;
    const i = this.undoStack.lastIndexOf(entry);
    if (i >= 0) this.undoStack.splice(i, 1);
  }
  // Keep mine: the same edits again, now knowing what the other person wrote.
  resend(conflict) {
    const edits = [];
    conflict.list.forEach(g => g.edits.forEach(e => edits.push({ rowId: g.id, colId: e.colId, value: e.value, base: g.id === conflict.current.id ? conflict.current.version : undefined })));
    return this.write(edits, { ...conflict.opts, entry: undefined, force: true });
  }
  undo() {
    const entry = this.undoStack.pop();
    if (!entry) return null;
    const p = this.write(entry.changes.map(c => ({ rowId: c.rowId, colId: c.colId, value: c.before })), { undoable: false, force: true, label: 'undo' });
    p.then(rows => { if (rows) this.redoStack.push(entry); });
    return { entry, done: p };
  }
  redo() {
    const entry = this.redoStack.pop();
    if (!entry) return null;
    const p = this.write(entry.changes.map(c => ({ rowId: c.rowId, colId: c.colId, value: c.after })), { label: 'redo', keepRedo: true, force: true });
    return { entry, done: p };
  }
}

/* ---------- live: the change feed (long-poll) ----------
   Starts a moment after the grid settles, so a glance at the grid (or a redirect through it)
   leaves no 25-second request behind; a change made meanwhile arrives with the first poll. */
const LIVE_START_MS = 1500;

function useGridLive(store, { me, onFlash, onViewsChanged, onReload }) {
  const [status, setStatus] = useState('starting');
  const cb = useLatest({ me, onFlash, onViewsChanged, onReload });
  useEffect(() => {
    let stopped = false;
    const apply = d => {
      if (d.reset) { cb.current.onReload(); return false; }
      let reload = false;
      if (d.columns_changed && Array.isArray(d.columns)) {
        const old = store.byId;
        const added = d.columns.some(c => !old[c.id]);
        const formulas = d.columns.some(c => c.type === 'formula' && old[c.id] && JSON.stringify(old[c.id].options) !== JSON.stringify(c.options));
        if (added || formulas) reload = true; else store.setColumns(d.columns);
      }
      const changes = d.changes || [];
      if (changes.some(c => c.kind === 'formulas' || c.kind === 'bulk_load')) reload = true;
      // A new row goes where its creator put it: the feed names the rows it went between.
      const places = {};
      changes.forEach(c => { if (c.kind === 'row_created' && c.value && (c.value.after || c.value.before)) places[c.row_id] = c.value; });
      (d.rows || []).forEach(r => store.putRow(r, false, places[r.id]));
      if (typeof d.version === 'number' && d.version > store.version) store.version = d.version;
      const myId = cb.current.me.id;
      const flashes = changes.filter(c => c.kind === 'cell' && c.row_id && c.column_id && !(c.by && c.by.type === 'user' && c.by.id === myId));
      if (flashes.length) cb.current.onFlash(flashes);
      if (changes.some(c => c.kind === 'view')) cb.current.onViewsChanged();
      if (reload) cb.current.onReload();
      return !!d.more;
    };
    const run = async () => {
      let failures = 0;
      while (!stopped) {
        try {
          if (!failures) setStatus('live');
          const r = await api('/api/fundraising/changes?since=' + store.version + '&wait=25');
          if (stopped) return;
          failures = 0;
          setStatus('live');
          apply(r.data || {});
        } catch (err) {
          if (stopped || err.status === 401) return;
          failures++;
          setStatus('offline');
          await sleep(Math.min(30000, 1000 * Math.pow(2, Math.min(failures, 5))));
        }
      }
    };
    const t = setTimeout(run, LIVE_START_MS);
    return () => { stopped = true; clearTimeout(t); };
  }, [store]); // eslint-disable-line react-hooks/exhaustive-deps
  return status;
}

/* ---------- presence: who is here, which cell, editing ---------- */
function usePresence(clientId, state) {
  const [peers, setPeers] = useState([]);
  const stateRef = useLatest(state);
  const beatRef = useRef(null);
  useEffect(() => {
    let stopped = false, inflight = false, again = false;
    const beat = async () => {
      if (inflight) { again = true; return; }
      inflight = true;
      try {
        const r = await api('/api/fundraising/collab/heartbeat', { method: 'POST', body: { client_id: clientId, ...stateRef.current } });
        if (!stopped) setPeers(r.data || []);
      } catch (e) { /* presence is best effort */ }
      inflight = false;
      if (again && !stopped) { again = false; beat(); }
    };
    beatRef.current = beat;
    beat();
    const t = setInterval(beat, 5000);
    return () => {
      stopped = true; beatRef.current = null; clearInterval(t);
      api('/api/fundraising/collab/heartbeat', { method: 'POST', body: { client_id: clientId, leaving: true } }).catch(() => {});
    };
  }, [clientId]); // eslint-disable-line react-hooks/exhaustive-deps
  const key = [state.view_id, state.row_id, state.column_id, state.editing].join('|');
  useEffect(() => {
    const t = setTimeout(() => beatRef.current && beatRef.current(), 250);
    return () => clearTimeout(t);
  }, [key]);
  // Someone's edit arrived through the change feed: they are done editing that cell.
  const doneEditing = useCallback(changes => setPeers(ps => {
    let changed = false;
    const next = ps.map(p => {
      if (p.editing && changes.some(c => c.by && c.by.id === p.user_id && c.row_id === p.row_id && c.column_id === p.column_id)) { changed = true; return { ...p, editing: false }; }
      return p;
    });
    return changed ? next : ps;
  }), []);
  return [peers, doneEditing];
}
