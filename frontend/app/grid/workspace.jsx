const DEFAULT_VIEW = { id: null, name: 'All investors', shared: true, filter: { op: 'and', conditions: [] }, sort: [], hidden: [], order: [], frozen: 1, row_height: 'short' };
const VIEW_STORE_KEY = 'vcrm.grid.view';
const CONFIG_KEYS = ['filter', 'sort', 'hidden', 'order', 'frozen', 'row_height'];
const searchCache = new WeakMap();
let clientIdSeq = 0;

function rowSearchText(row, cols) {
  const hit = searchCache.get(row);
  if (hit && hit.cols === cols) return hit.text;
  let text = '';
  for (let i = 0; i < cols.length; i++) { const t = cellText(cols[i], row.values[cols[i].id]); if (t) text += t.toLowerCase() + '\u0001'; }
  searchCache.set(row, { cols, text });
  return text;
}

function applyColumnOrder(columns, order) {
  if (!order || !order.length) return columns;
  const pos = new Map(order.map((id, i) => [id, i]));
  const known = columns.filter(c => pos.has(c.id)).sort((a, b) => pos.get(a.id) - pos.get(b.id));
  const rest = columns.filter(c => !pos.has(c.id));
  const out = [...known, ...rest];
  const primary = out.findIndex(c => c.primary);
  if (primary > 0) out.unshift(out.splice(primary, 1)[0]);
  return out;
}

// An ad-hoc filter a link carries (#/grid?filter=<JSON filter group>&title=..., e.g. from a
// dashboard chart): shown over the current view, unsaved, until cleared or saved as a view.
function gridAdhocFilter(query) {
  if (!query || !query.filter) return null;
  let filter = null;
  try { filter = JSON.parse(query.filter); } catch (e) { return null; }
  if (!filter || typeof filter !== 'object' || !Array.isArray(filter.conditions)) return null;
  return { filter: { op: filter.op === 'or' ? 'or' : 'and', conditions: filter.conditions }, title: String(query.title || 'Filtered investors').slice(0, 120) };
}

function GridWorkspace({ store, meta, me, initialViews, slot, reloadData }) {
  const toast = useToast();
  React.useSyncExternalStore(store.subscribe, store.getRev);
  const rev = store.rev;
  const colRev = store.colRev;
  const canvas = useRef(null);
  const clientId = useMemo(() => 'c' + Date.now().toString(36) + (++clientIdSeq) + Math.random().toString(36).slice(2, 7), []);

  /* views */
  const [views, setViews] = useState(initialViews);
  const [viewId, setViewId] = useState(() => {
    let saved = null;
    try { saved = window.localStorage.getItem(VIEW_STORE_KEY); } catch (e) { /* ignore */ }
    return initialViews.some(v => v.id === saved) ? saved : (initialViews[0] ? initialViews[0].id : null);
  });
  const [drafts, setDrafts] = useState({});
  const [savingView, setSavingView] = useState(false);
  const viewKey = viewId || '__default';
  const baseView = views.find(v => v.id === viewId) || DEFAULT_VIEW;
  const draft = drafts[viewKey];
  const [adhoc, setAdhoc] = useState(() => gridAdhocFilter(parseHash().query));
  const adhocRef = useRef(adhoc);
  adhocRef.current = adhoc;
  const cfg = useMemo(() => ({ ...DEFAULT_VIEW, ...baseView, ...(draft || {}), ...(adhoc ? { filter: adhoc.filter } : {}) }), [baseView, draft, adhoc]);
  useEffect(() => { try { if (viewId) window.localStorage.setItem(VIEW_STORE_KEY, viewId); } catch (e) { /* ignore */ } }, [viewId]);

  /* ui state */
  const [search, setSearch] = useState('');
  const deferredSearch = React.useDeferredValue(search);
  const [showArchived, setShowArchived] = useState(false);
  const [widths, setWidths] = useState({});
  const [sel, setSel] = useState({ row: null, col: null, frow: null, fcol: null, r: 0, c: 0, fr: 0, fc: 0 });
  const [editing, setEditing] = useState(null);
  const [panelRowId, setPanelRowId] = useState(null);
  const route = useRoute();
  useEffect(() => {  // a copied link (#/grid?investor=ID) opens that investor
    const id = route.query.investor;
    if (id && store.rows.has(id)) setPanelRowId(id);
  }, [route.query.investor]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => { setAdhoc(gridAdhocFilter(route.query)); }, [route.query.filter, route.query.title]); // eslint-disable-line react-hooks/exhaustive-deps
  const [rowMenu, setRowMenu] = useState(null);
  const [pipeAdd, setPipeAdd] = useState(null);              // a row the menu's "Add to pipeline…" puts on a fund's board
  const [followUp, setFollowUp] = useState(null);            // {row, at}: the row menu's "Follow up in…" picker
  const [fieldsOpen, setFieldsOpen] = useState(false);        // {r, x, y}: the right-click menu
  const [archivePrompt, setArchivePrompt] = useState(null);  // investors a Delete on whole rows would archive
  const [colModal, setColModal] = useState(null);
  const [headerMenu, setHeaderMenu] = useState(null);
  const [viewMenu, setViewMenu] = useState(null);
  const [renamingView, setRenamingView] = useState(null);
  const [newViewAnchor, setNewViewAnchor] = useState(null);
  const [confirm, setConfirm] = useState(null);
  const [conflict, setConflict] = useState(null);
  const [help, setHelp] = useState(false);
  const [filterOpen, setFilterOpen] = useState(false);
  const [flash, setFlash] = useState({});
  const [pinned, setPinned] = useState(() => new Set());
  const [busy, setBusy] = useState(0);
  const searchRef = useRef(null);

  /* writes */
  const writer = useMemo(() => new GridWriter(store, {
    me: () => me,
    onBusy: n => setBusy(n),
    onConflict: c => setConflict(c),
    onError: err => toast(err.status === 409 && err.body && err.body.code === 'archived' ? 'That investor was archived; restore it to edit.' : 'Couldn’t save: ' + err.message, 'error'),
  }), [store]); // eslint-disable-line react-hooks/exhaustive-deps

  /* live updates and presence */
  const flashTimers = useRef([]);
  const peerDoneRef = useRef(null);
  const onFlash = useCallback(changes => {
    if (peerDoneRef.current) peerDoneRef.current(changes);
    setFlash(prev => {
      const next = { ...prev };
      changes.forEach(c => { next[c.row_id] = { ...(next[c.row_id] || {}), [c.column_id]: true }; });
      return next;
    });
    const t = setTimeout(() => setFlash(prev => {
      const next = { ...prev };
      changes.forEach(c => { if (next[c.row_id]) { const m = { ...next[c.row_id] }; delete m[c.column_id]; if (Object.keys(m).length) next[c.row_id] = m; else delete next[c.row_id]; } });
      return next;
    }), 1700);
    flashTimers.current.push(t);
  }, []);
  useEffect(() => () => flashTimers.current.forEach(clearTimeout), []);
  const viewsReload = useRef(null);
  const pendingViewSave = useRef({});
  const refreshViews = useCallback(() => {
    clearTimeout(viewsReload.current);
    viewsReload.current = setTimeout(async () => {
      if (Object.keys(pendingViewSave.current).length) return;
      try { const r = await api('/api/fundraising/views'); setViews(r.data || []); } catch (e) { /* keep what we have */ }
    }, 300);
  }, []);
  useEffect(() => () => clearTimeout(viewsReload.current), []);
  const live = useGridLive(store, { me, onFlash, onViewsChanged: refreshViews, onReload: reloadData });

  /* columns and layout */
  const columns = store.columns;
  const orderedCols = useMemo(() => applyColumnOrder(columns, cfg.order), [columns, cfg.order]); // eslint-disable-line react-hooks/exhaustive-deps
  const visibleCols = useMemo(() => { const h = new Set(cfg.hidden || []); return orderedCols.filter(c => c.primary || !h.has(c.id)); }, [orderedCols, cfg.hidden]);
  const onPhone = useMediaQuery('(max-width: 640px)');
  const frozen = Math.max(0, Math.min(typeof cfg.frozen === 'number' ? cfg.frozen : 1, onPhone ? 1 : 10, Math.max(0, visibleCols.length - 1)));

  /* rows: filter, search, sort (the same semantics as the server) */
  const byId = store.byId;
  const cleanF = useMemo(() => cleanFilter(cfg.filter, byId, meta), [cfg.filter, byId, meta]);
  const test = useMemo(() => compileViewFilter(cleanF, byId), [cleanF, byId]);
  const baseRows = store.list(showArchived);
  const viewRows = useMemo(() => {
    const q = deferredSearch.trim().toLowerCase();
    let out = baseRows.filter(r => pinned.has(r.id) || test(r.values));
    if (q) out = out.filter(r => pinned.has(r.id) || rowSearchText(r, visibleCols).includes(q));
    return sortViewRows(out, cfg.sort, byId);
  }, [baseRows, test, deferredSearch, visibleCols, cfg.sort, byId, pinned]);
  const n = viewRows.length;
  const L = useMemo(() => {
    const left = [], width = [], numeric = [], editable = [];
    const gutter = onPhone ? 36 + 8 * String(n).length : Math.max(GRID_GUTTER, 44 + 8 * String(n).length);
    let x = gutter, frozenW = gutter;
    // On a phone one frozen column at most, at a width that leaves room for the others.
    const phoneW = onPhone ? window.innerWidth : 0;
    visibleCols.forEach((c, i) => {
      left.push(x);
      const w = phoneW && i < frozen ? Math.min(colWidth(c, widths), Math.round(phoneW * 0.36)) : colWidth(c, widths);
      width.push(w);
      x += w;
      if (i < frozen) frozenW = x;
      numeric.push(isNumericCol(c));
      editable.push(isEditable(c, meta));
    });
    const rowHeight = ROW_HEIGHTS[cfg.row_height] ? cfg.row_height : 'short';
    return { cols: visibleCols, left, width, numeric, editable, frozen, frozenW, gutter, total: x + GRID_ADDCOL_W,
      rowHeight, rowH: ROW_HEIGHTS[rowHeight].h, lines: ROW_HEIGHTS[rowHeight].lines };
  }, [visibleCols, widths, frozen, meta, String(n).length, cfg.row_height, onPhone]); // eslint-disable-line react-hooks/exhaustive-deps
  const rowIndex = useMemo(() => { const m = new Map(); viewRows.forEach((r, i) => m.set(r.id, i)); return m; }, [viewRows]);
  const colIndex = useMemo(() => { const m = new Map(); visibleCols.forEach((c, i) => m.set(c.id, i)); return m; }, [visibleCols]);

  /* selection (kept by row and column id, so it follows a row through re-sorts) */
  const clampR = r => Math.max(0, Math.min(n, r));
  const clampC = c => Math.max(0, Math.min(visibleCols.length - 1, c));
  const idxOf = (id, fallback, isRow) => {
    if (isRow) { if (id === ADD_ROW_ID) return n; return rowIndex.has(id) ? rowIndex.get(id) : clampR(fallback); }
    return colIndex.has(id) ? colIndex.get(id) : clampC(fallback);
  };
  const ar = idxOf(sel.row, sel.r, true), ac = idxOf(sel.col, sel.c, false);
  const fr = ar === n ? n : Math.min(idxOf(sel.frow, sel.fr, true), Math.max(0, n - 1));
  const fc = idxOf(sel.fcol, sel.fc, false);
  const selInfo = useMemo(() => {
    const r0 = Math.min(ar, fr), r1 = Math.max(ar, fr), c0 = Math.min(ac, fc), c1 = Math.max(ac, fc);
    const multi = ar !== n && (r0 !== r1 || c0 !== c1);
    return { ar, ac, r0, r1, c0, c1, multi, colRange: multi && r0 === 0 && r1 === n - 1 && n > 1 ? [c0, c1] : null };
  }, [ar, ac, fr, fc, n]);
  const setSelIdx = useCallback((r, c, fr2, fc2) => {
    const S2 = S.current;
    const rowId = i => (i >= S2.n ? ADD_ROW_ID : S2.viewRows[i] ? S2.viewRows[i].id : null);
    const colId = i => (S2.visibleCols[i] ? S2.visibleCols[i].id : null);
    if (fr2 === undefined) { fr2 = r; fc2 = c; }
    setSel({ row: rowId(r), col: colId(c), frow: rowId(fr2), fcol: colId(fc2), r, c, fr: fr2, fc: fc2 });
  }, []);

  /* footer sums of money columns over the rows shown */
  const sums = useMemo(() => {
    const out = {};
    const money = visibleCols.filter(c => MONEY_TYPES.includes(c.type));
    money.forEach(c => { out[c.id] = 0; });
    if (money.length) for (const r of viewRows) for (const c of money) { const v = r.values[c.id]; if (typeof v === 'number') out[c.id] += v; }
    // A pipeline column sums its weighted value: expected amount x the card's (or its stage's) probability.
    for (const c of visibleCols.filter(col => col.type === 'pipeline')) {
      const usual = Object.fromEntries(((c.options && c.options.choices) || []).map(s => [s.name, s.probability || 0]));
      out[c.id] = 0;
      for (const r of viewRows) { const v = r.values[c.id]; if (v && typeof v.expected_amount === 'number') out[c.id] += v.expected_amount * (typeof v.probability === 'number' ? v.probability : usual[v.stage] || 0); }
    }
    return out;
  }, [viewRows, visibleCols]);

  const sortByCol = useMemo(() => Object.fromEntries((cfg.sort || []).map(s => [s.column_id, s.direction === 'desc' ? 'desc' : 'asc'])), [cfg.sort]);
  const filterCols = useMemo(() => filterColumnIds(cleanF), [cleanF]);

  /* presence */
  const activeRow = ar < n ? viewRows[ar] : null;
  const activeCol = visibleCols[ac];
  const [peers, peerDone] = usePresence(clientId, { view_id: viewId, row_id: editing ? editing.rowId : activeRow ? activeRow.id : null, column_id: editing ? editing.colId : activeCol ? activeCol.id : null, editing: !!editing });
  peerDoneRef.current = peerDone;
  const peersByRow = useMemo(() => {
    const out = {};
    peers.forEach(p => {
      // Only other people: the same person's other tab is not a collaborator.
      if (p.client_id === clientId || p.user_id === me.id || !p.row_id) return;
      const m = out[p.row_id] || (out[p.row_id] = {});
      if (p.editing && p.column_id) m[p.column_id] = { name: p.name, color: peerColor(p.user_id) };
      if (!m.__row) m.__row = peerColor(p.user_id);
    });
    return out;
  }, [peers, clientId, me.id]);

  /* view persistence: drafts show at once, PATCHes follow debounced */
  const saveTimer = useRef(null);
  const flushViewSave = useCallback(async () => {
    clearTimeout(saveTimer.current);
    const pending = pendingViewSave.current;
    pendingViewSave.current = {};
    const keys = Object.keys(pending);
    for (const key of keys) {
      const body = pending[key];
      setSavingView(true);
      try {
        if (key === '__default') {
          const all = { ...DEFAULT_VIEW, ...body };
          const r = await api('/api/fundraising/views', { method: 'POST', body: { name: all.name, shared: true, filter: all.filter, sort: all.sort, hidden: all.hidden, order: all.order, frozen: all.frozen, row_height: all.row_height } });
          setViews(vs => [...vs, r.data]);
          setDrafts(d => { const next = { ...d, [r.data.id]: d.__default }; delete next.__default; return next; });
          setViewId(r.data.id);
        } else {
          const r = await api('/api/fundraising/views/' + encodeURIComponent(key), { method: 'PATCH', body });
          setViews(vs => vs.map(v => (v.id === key ? r.data : v)));
        }
      } catch (err) {
        toast('Couldn’t save the view: ' + err.message, 'error');
      }
    }
    setSavingView(false);
  }, [toast]);
  useEffect(() => () => { if (Object.keys(pendingViewSave.current).length) flushViewSave(); }, [flushViewSave]);
  const updateView = useCallback(changes => {
    if (adhocRef.current && 'filter' in changes) {  // an ad-hoc filter is edited in place, never saved into the view
      const f = changes.filter;
      setAdhoc(a => (a ? { ...a, filter: f } : a));
      changes = { ...changes };
      delete changes.filter;
      if (!Object.keys(changes).length) return;
    }
    const S2 = S.current;
    const key = S2.viewKey;
    setDrafts(d => ({ ...d, [key]: { ...(d[key] || {}), ...changes } }));
    const body = { ...changes };
    if ('filter' in body) body.filter = cleanFilter(body.filter, S2.byId, meta);
    if (key === '__default') Object.assign(body, { ...CONFIG_KEYS.reduce((o, k) => ({ ...o, [k]: S2.cfg[k] }), {}), ...body, filter: body.filter || cleanFilter(S2.cfg.filter, S2.byId, meta) });
    pendingViewSave.current[key] = { ...(pendingViewSave.current[key] || {}), ...body };
    setSavingView(true);
    clearTimeout(saveTimer.current);
    saveTimer.current = setTimeout(flushViewSave, 450);
  }, [meta, flushViewSave]);
  const selectView = id => {
    if (Object.keys(pendingViewSave.current).length) flushViewSave();
    setViewId(id);
    setPinned(new Set());
    setEditing(null);
    setSel({ row: null, col: null, frow: null, fcol: null, r: 0, c: 0, fr: 0, fc: 0 });
    const el = canvas.current && canvas.current.el();
    if (el) { el.scrollTop = 0; el.scrollLeft = 0; }
  };
  useEffect(() => {  // a link (#/grid?view=ID, e.g. from a question saved as a view) opens that view
    const id = route.query.view;
    if (id && id !== viewId && views.some(v => v.id === id)) selectView(id);
  }, [route.query.view, views]); // eslint-disable-line react-hooks/exhaustive-deps

  /* keep the latest of everything for the stable handlers below */
  const S = useRef(null);
  const wholeRows = useRef(-1);  // the row last picked by its number (a one-row whole-row selection)
  S.current = { n, viewRows, visibleCols, L, ar, ac, fr, fc, sel: selInfo, editing, store, writer, meta, cfg, viewKey, byId, panelRowId, pinned };

  const focusGrid = useCallback(() => { if (canvas.current) canvas.current.focus(); }, []);
  const scrollTo = useCallback((r, c) => { if (canvas.current) canvas.current.scrollToCell(r, c); }, []);

  const startEdit = useCallback((seed, at) => {
    const s = S.current;
    const r = at ? at[0] : s.ar, c = at ? at[1] : s.ac;
    const row = s.viewRows[r], col = s.visibleCols[c];
    if (!row || !col) return;
    if (row.archived_at) { toast('This investor is archived: restore it to edit.', 'info'); return; }
    if (!s.L.editable[c]) { toast('“' + col.name + '” is ' + (col.type === 'formula' ? 'a formula' : 'filled in automatically') + ': it can’t be edited.', 'info'); return; }
    if (col.type === 'checkbox') { s.writer.write([{ rowId: row.id, colId: col.id, value: !row.values[col.id] }]); return; }
    scrollTo(r, c);
    setEditing({ rowId: row.id, colId: col.id, seed: seed === undefined ? null : seed, base: row.version, r, c });
  }, [scrollTo, toast]);

  const moveSel = useCallback((dr, dc, extend, jump) => {
    const s = S.current;
    const maxR = extend ? Math.max(0, s.n - 1) : s.n, maxC = s.visibleCols.length - 1;
    if (extend) {
      let r = s.fr, c = s.fc;
      if (s.ar === s.n) return;
      r = jump ? (dr < 0 ? 0 : dr > 0 ? maxR : r) : Math.max(0, Math.min(maxR, r + dr));
      c = jump ? (dc < 0 ? 0 : dc > 0 ? maxC : c) : Math.max(0, Math.min(maxC, c + dc));
      setSelIdx(s.ar, s.ac, r, c);
      scrollTo(r, c);
    } else {
      let r = s.ar, c = s.ac;
      r = jump ? (dr < 0 ? 0 : dr > 0 ? Math.max(0, s.n - 1) : r) : Math.max(0, Math.min(maxR, r + dr));
      c = jump ? (dc < 0 ? 0 : dc > 0 ? maxC : c) : Math.max(0, Math.min(maxC, c + dc));
      setSelIdx(r, c);
      scrollTo(r, c);
    }
  }, [setSelIdx, scrollTo]);

  // A pipeline cell set to Committed offers to write the expected amount into the fund cell,
  // as the board does (the grid never writes it by itself).
  const offerCommitment = (ed, value) => {
    const cols = S.current.store.columns;
    const col = cols.find(c => c.id === ed.colId);
    const row = S.current.viewRows.find(r => r.id === ed.rowId);
    if (!col || col.type !== 'pipeline' || value !== 'Committed' || !row) return;
    const card = row.values[col.id], fund = cols.find(c => c.id === col.options.fund_id);
    if (!fund || !card || card.stage === 'Committed' || typeof card.expected_amount !== 'number' || typeof row.values[fund.id] === 'number') return;
    toast(rowName(row) + ' is Committed to ' + fund.name + '.', 'success', { action: { label: 'Write ' + fmtMoneyShort(card.expected_amount) + ' into ' + fund.name,
      run: () => S.current.writer.write([{ rowId: row.id, colId: fund.id, value: card.expected_amount }], { label: 'commitment' }) } });
  };
  const commitEdit = useCallback((value, move) => {
    const s = S.current;
    const ed = s.editing;
    if (!ed) return;
    setEditing(null);
    s.writer.write([{ rowId: ed.rowId, colId: ed.colId, value, base: ed.base }], { label: 'edit' });
    offerCommitment(ed, value);
    focusGrid();
    if (move === 'down') moveSel(1, 0);
    else if (move === 'up') moveSel(-1, 0);
    else if (move === 'right') moveSel(0, 1);
    else if (move === 'left') moveSel(0, -1);
  }, [focusGrid, moveSel]);
  const cancelEdit = useCallback(() => { setEditing(null); focusGrid(); }, [focusGrid]);

  // A new investor, last or (place: {before|after: row id}) just above or below a row; the
  // cursor lands on its name, ready to type.
  const addRow = useCallback(async (seed, place) => {
    try {
      const r = await api('/api/fundraising/rows', { method: 'POST', body: { values: {}, ...(place || {}) } });
      store.putRow(r.data, true, place);
      setPinned(p => { const next = new Set(p); next.add(r.data.id); return next; });
      setTimeout(() => {
        const s = S.current;
        const i = s.viewRows.findIndex(x => x.id === r.data.id);
        if (i < 0) return;
        const nameIdx = Math.max(0, s.visibleCols.findIndex(c => c.primary));
        setSelIdx(i, nameIdx);
        scrollTo(i, nameIdx);
        setTimeout(() => startEdit(seed === undefined ? null : seed, [i, nameIdx]), 0);
      }, 0);
      return r.data;
    } catch (err) { toast('Couldn’t add an investor: ' + err.message, 'error'); return null; }
  }, [store, setSelIdx, scrollTo, startEdit, toast]);

  const rangeCells = () => {
    const s = S.current, g = s.sel;
    const out = [];
    for (let r = g.r0; r <= Math.min(g.r1, s.n - 1); r++) for (let c = g.c0; c <= g.c1; c++) out.push([r, c]);
    return out;
  };

  const clearRange = useCallback(confirmed => {
    const s = S.current, g = s.sel;
    const rows = Math.min(g.r1, s.n - 1) - g.r0 + 1;
    if (rows > GRID_MAX_BATCH) { toast('Clear at most ' + GRID_MAX_BATCH.toLocaleString() + ' rows at a time.', 'error'); return; }
    const edits = [];
    rangeCells().forEach(([r, c]) => {
      const row = s.viewRows[r], col = s.visibleCols[c];
      if (!row || !col || !s.L.editable[c] || isEmptyValue(row.values[col.id]) || (col.type === 'checkbox' && !row.values[col.id])) return;
      edits.push({ rowId: row.id, colId: col.id, value: col.type === 'checkbox' ? false : null });
    });
    if (!edits.length) return;
    if (edits.length > 200 && !confirmed) { setConfirm({ kind: 'clear', count: edits.length, rows }); return; }
    s.writer.write(edits, { label: 'clear' });
  }, [toast]); // eslint-disable-line react-hooks/exhaustive-deps

  const copyRange = () => {
    const s = S.current, g = s.sel;
    if (s.ar >= s.n) return null;
    const lines = [];
    for (let r = g.r0; r <= Math.min(g.r1, s.n - 1); r++) {
      const row = s.viewRows[r];
      const line = [];
      for (let c = g.c0; c <= g.c1; c++) { const col = s.visibleCols[c]; line.push(cellClipText(col, row.values[col.id])); }
      lines.push(line);
    }
    return { text: toTSV(lines), rows: lines.length, cols: g.c1 - g.c0 + 1 };
  };
  const onCopy = useCallback(e => {
    if (S.current.editing) return;
    const got = copyRange();
    if (!got) return;
    e.preventDefault();
    e.clipboardData.setData('text/plain', got.text);
    if (got.rows * got.cols > 1) toast('Copied ' + got.rows + ' × ' + got.cols + ' cells', 'info');
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const onCut = useCallback(e => { if (S.current.editing) return; onCopy(e); clearRange(); }, [onCopy, clearRange]);

  const pasteValue = (col, text) => {
    if (text === '') return col.type === 'checkbox' ? false : null;
    if (col.type === 'contacts') return parsePeopleText(text);
    // Relative dates ("tomorrow", "+7d") mean the person's own day, which the server cannot know;
    // everything else the server reads itself, by the same rules as typing.
    if (col.type === 'date') { const r = readDateInput(text, !!(col.options && col.options.include_time)); if (r.value) return r.value; }
    return text;
  };
  const onPaste = useCallback(async e => {
    const s = S.current;
    if (s.editing) return;
    const text = e.clipboardData && e.clipboardData.getData('text/plain');
    if (!text) return;
    e.preventDefault();
    let grid = parseTSV(text);
    if (!grid.length) return;
    const g = s.sel;
    const single = grid.length === 1 && grid[0].length === 1;
    let r0 = Math.min(g.r0, s.n), c0 = g.c0;
    let height = grid.length, width = Math.max(...grid.map(l => l.length));
    if (single && g.multi) { height = g.r1 - g.r0 + 1; width = g.c1 - g.c0 + 1; grid = Array.from({ length: height }, () => Array(width).fill(grid[0][0])); }
    // Rows that do not exist yet are added first.
    let rows = s.viewRows.slice(r0, r0 + height);
    const missing = r0 + height - s.n;
    if (missing > 0) {
      if (missing > 500) { toast('That paste would add ' + missing + ' investors; paste at most 500 new rows at a time.', 'error'); return; }
      let made;
      try {
        made = (await api('/api/fundraising/rows/bulk', { method: 'POST', body: { rows: Array.from({ length: missing }, () => ({ values: {} })) } })).data;
        made.forEach(r => store.putRow(r, true));
      } catch (err) { toast('Couldn’t add rows for the paste: ' + err.message, 'error'); return; }
      setPinned(p => { const next = new Set(p); made.forEach(r => next.add(r.id)); return next; });
      rows = [...rows, ...made.map(r => store.get(r.id))];
    }
    const edits = [];
    let skipped = 0;
    for (let i = 0; i < height; i++) {
      const row = rows[i];
      if (!row) continue;
      for (let j = 0; j < width; j++) {
        const c = c0 + j;
        if (c >= s.visibleCols.length) { skipped++; continue; }
        const col = s.visibleCols[c];
        if (!s.L.editable[c]) { skipped++; continue; }
        const cellText = (grid[i] && grid[i][j] !== undefined) ? grid[i][j] : '';
        edits.push({ rowId: row.id, colId: col.id, value: pasteValue(col, cellText) });
      }
    }
    if (!edits.length) { toast('Nothing to paste here: those fields are computed.', 'info'); return; }
    const startRow = r0 >= s.n ? s.n : r0;
    setTimeout(() => setSelIdx(startRow, c0, startRow + height - 1, Math.min(c0 + width - 1, s.visibleCols.length - 1)), 0);
    const result = await s.writer.write(edits, { raw: true, label: 'paste' });
    if (result) toast('Pasted ' + plural(edits.length, 'cell') + (skipped ? ' · ' + skipped + ' skipped (computed or off the grid)' : ''), 'success');
  }, [store, setSelIdx, toast]);

  const fillDown = useCallback(() => {
    const s = S.current, g = s.sel;
    if (s.ar >= s.n) return;
    let src = g.r0, from = g.r0 + 1, to = Math.min(g.r1, s.n - 1);
    if (g.r0 === g.r1) { if (g.r0 === 0) return; src = g.r0 - 1; from = g.r0; to = g.r0; }
    const edits = [];
    for (let c = g.c0; c <= g.c1; c++) {
      const col = s.visibleCols[c];
      if (!s.L.editable[c]) continue;
      let v = s.viewRows[src].values[col.id];
      if (col.type === 'contacts' && Array.isArray(v)) v = v.map(p => ({ name: p.name, email: p.email, phone: p.phone, title: p.title }));
      for (let r = from; r <= to; r++) edits.push({ rowId: s.viewRows[r].id, colId: col.id, value: v });
    }
    if (edits.length) s.writer.write(edits, { label: 'fill' });
  }, [toast]);

  const doUndo = useCallback(redo => {
    const s = S.current;
    const res = redo ? s.writer.redo() : s.writer.undo();
    if (!res) { toast(redo ? 'Nothing to redo' : 'Nothing to undo', 'info'); return; }
    const first = res.entry.changes[0];
    const r = S.current.viewRows.findIndex(x => x.id === first.rowId), c = S.current.visibleCols.findIndex(x => x.id === first.colId);
    if (r >= 0 && c >= 0) { setSelIdx(r, c); scrollTo(r, c); }
    res.done.then(rows => { if (rows) toast((redo ? 'Redid ' : 'Undid ') + (res.entry.changes.length === 1 ? 'the change to ' + ((s.byId[first.colId] || {}).name || 'a cell') : plural(res.entry.changes.length, 'change')), 'info'); });
  }, [setSelIdx, scrollTo, toast]);

  const openPanel = useCallback(r => {
    const s = S.current;
    const row = s.viewRows[r === undefined ? s.ar : r];
    if (row) setPanelRowId(row.id);
  }, []);

  const onKeyDown = useCallback(e => {
    const s = S.current;
    if (s.editing || e.defaultPrevented || e.target !== e.currentTarget) return;
    const mod = e.metaKey || e.ctrlKey;
    const k = e.key;
    if (mod && !e.altKey) {
      const lk = k.toLowerCase();
      if (lk === 'z') { e.preventDefault(); doUndo(e.shiftKey); return; }
      if (lk === 'y') { e.preventDefault(); doUndo(true); return; }
      if (lk === 'd') { e.preventDefault(); fillDown(); return; }
      if (lk === 'a') { e.preventDefault(); if (s.n) setSelIdx(0, 0, s.n - 1, s.visibleCols.length - 1); return; }
      if (lk === 'f') { e.preventDefault(); if (searchRef.current) { searchRef.current.focus(); searchRef.current.select(); } return; }
      if (k === 'ArrowUp') { e.preventDefault(); moveSel(-1, 0, e.shiftKey, true); return; }
      if (k === 'ArrowDown') { e.preventDefault(); moveSel(1, 0, e.shiftKey, true); return; }
      if (k === 'ArrowLeft') { e.preventDefault(); moveSel(0, -1, e.shiftKey, true); return; }
      if (k === 'ArrowRight') { e.preventDefault(); moveSel(0, 1, e.shiftKey, true); return; }
      if (k === 'Enter') { e.preventDefault(); openPanel(); return; }
      if (k === 'Home' && s.n) { e.preventDefault(); setSelIdx(0, 0); scrollTo(0, 0); return; }
      if (k === 'End' && s.n) { e.preventDefault(); const c = s.visibleCols.length - 1; setSelIdx(s.n - 1, c); scrollTo(s.n - 1, c); return; }
      return;
    }
    switch (k) {
      case 'ArrowUp': e.preventDefault(); moveSel(-1, 0, e.shiftKey); return;
      case 'ArrowDown': e.preventDefault(); moveSel(1, 0, e.shiftKey); return;
      case 'ArrowLeft': e.preventDefault(); moveSel(0, -1, e.shiftKey); return;
      case 'ArrowRight': e.preventDefault(); moveSel(0, 1, e.shiftKey); return;
      case 'Home': e.preventDefault(); moveSel(0, -1, e.shiftKey, true); return;
      case 'End': e.preventDefault(); moveSel(0, 1, e.shiftKey, true); return;
      case 'PageDown': case 'PageUp': {
        e.preventDefault();
        const el = canvas.current.el();
        const page = Math.max(1, Math.floor((el.clientHeight - GRID_HEAD_H - GRID_FOOT_H) / s.L.rowH) - 1);
        moveSel(k === 'PageDown' ? page : -page, 0, e.shiftKey);
        return;
      }
      case 'Tab': {
        e.preventDefault();
        const last = s.visibleCols.length - 1;
        if (!e.shiftKey && s.ac === last && s.ar < s.n - 1) { setSelIdx(s.ar + 1, 0); scrollTo(s.ar + 1, 0); }
        else if (e.shiftKey && s.ac === 0 && s.ar > 0) { setSelIdx(s.ar - 1, last); scrollTo(s.ar - 1, last); }
        else moveSel(0, e.shiftKey ? -1 : 1);
        return;
      }
      case 'Enter':
        e.preventDefault();
        if (s.ar === s.n) { addRow(); return; }
        if (e.shiftKey) { openPanel(); return; }
        startEdit(null);
        return;
      case 'Escape':
        if (s.sel.multi) { e.preventDefault(); setSelIdx(s.ar, s.ac); }
        return;
      case 'Delete': case 'Backspace': {
        e.preventDefault();
        if (s.ar >= s.n) return;
        const g = s.sel;
        // Whole rows picked by their numbers: the person means the investors, not every cell.
        if (g.c0 === 0 && g.c1 === s.visibleCols.length - 1 && s.visibleCols.length > 1 && (g.r1 > g.r0 || wholeRows.current === g.r0)) {
          setArchivePrompt(s.viewRows.slice(g.r0, Math.min(g.r1, s.n - 1) + 1).filter(r => !r.archived_at));
          return;
        }
        clearRange();
        return;
      }
      case ' ': {
        e.preventDefault();
        if (s.ar === s.n) { addRow(); return; }
        const col = s.visibleCols[s.ac];
        if (col && col.type === 'checkbox' && !s.sel.multi) startEdit(null);
        else openPanel();
        return;
      }
      case '?': e.preventDefault(); setHelp(true); return;
      default:
        if (k.length === 1 && !e.altKey) {
          e.preventDefault();
          if (s.ar === s.n) { addRow(k); return; }
          const col = s.visibleCols[s.ac];
          if (col && col.type === 'checkbox') { startEdit(null); return; }
          startEdit(k);
        }
    }
  }, [doUndo, fillDown, setSelIdx, moveSel, openPanel, addRow, startEdit, clearRange, scrollTo]);

  /* pointer handlers from the canvas */
  const onCellDown = useCallback((r, c, shift) => {
    const s = S.current;
    if (shift && s.ar < s.n && r < s.n) setSelIdx(s.ar, s.ac, r, c);
    else setSelIdx(r, c);
  }, [setSelIdx]);
  const onCellDrag = useCallback((r, c) => { const s = S.current; if (s.ar < s.n) setSelIdx(s.ar, s.ac, r, c); }, [setSelIdx]);
  const onCellDouble = useCallback((r, c) => { setSelIdx(r, c); startEdit(null, [r, c]); }, [setSelIdx, startEdit]);
  const onToggle = useCallback((r, c) => {
    const s = S.current;
    const row = s.viewRows[r], col = s.visibleCols[c];
    if (row && col && col.type === 'checkbox' && s.L.editable[c] && !row.archived_at) s.writer.write([{ rowId: row.id, colId: col.id, value: !row.values[col.id] }]);
  }, []);
  const onExpand = useCallback(r => { setSelIdx(r, S.current.ac); openPanel(r); }, [setSelIdx, openPanel]);
  // The row number selects the whole row (Space then expands it, Delete clears it).
  const onRowSelect = useCallback((r, shift) => {
    const s = S.current;
    const last = s.visibleCols.length - 1;
    if (shift && s.ar < s.n) setSelIdx(s.ar, 0, r, last); else setSelIdx(r, 0, r, last);
    wholeRows.current = shift ? -1 : r;
  }, [setSelIdx]);
  const onAddRowClick = useCallback(() => { addRow(); }, [addRow]);
  const onHeaderClick = useCallback((ci, shift) => {
    const s = S.current;
    if (!s.n) return;
    if (shift && s.ar < s.n) setSelIdx(0, s.ac, s.n - 1, ci);
    else setSelIdx(0, ci, s.n - 1, ci);
    focusGrid();
  }, [setSelIdx, focusGrid]);
  const onHeaderMenu = useCallback((ci, el) => setHeaderMenu({ ci, el }), []);
  const onResize = useCallback(async (col, w, done) => {
    setWidths(ws => ({ ...ws, [col.id]: w }));
    if (!done) return;
    try {
      const r = await api('/api/fundraising/columns/' + encodeURIComponent(col.id), { method: 'PATCH', body: { width: w } });
      store.setColumns(store.columns.map(c => (c.id === col.id ? { ...c, ...r.data, position: c.position } : c)));
    } catch (err) { toast('Couldn’t save the width: ' + err.message, 'error'); }
    setWidths(ws => { const next = { ...ws }; delete next[col.id]; return next; });
  }, [store, toast]);
  const onMove = useCallback(async (col, target) => {
    const s = S.current;
    const before = target < s.visibleCols.length ? s.visibleCols[target] : null;
    if (s.cfg.order && s.cfg.order.length) {
      const ids = applyColumnOrder(s.store.columns, s.cfg.order).map(c => c.id).filter(id => id !== col.id);
      const at = before ? ids.indexOf(before.id) : ids.length;
      ids.splice(at < 0 ? ids.length : at, 0, col.id);
      updateView({ order: ids });
      return;
    }
    const list = s.store.columns.filter(c => c.id !== col.id);
    let at = before ? list.findIndex(c => c.id === before.id) : -1;
    if (at < 0) { const lastVisible = s.visibleCols[s.visibleCols.length - 1]; at = list.findIndex(c => c.id === (lastVisible && lastVisible.id)) + 1; }
    const next = list.slice();
    next.splice(at, 0, col);
    const prev = s.store.columns;
    store.setColumns(next);
    try { await api('/api/fundraising/columns/' + encodeURIComponent(col.id), { method: 'PATCH', body: { position: at } }); }
    catch (err) { store.setColumns(prev); toast('Couldn’t move “' + col.name + '”: ' + err.message, 'error'); }
  }, [store, updateView, toast]);

  /* columns: add, edit, delete, restore */
  const [archivedCols, setArchivedCols] = useState([]);
  const loadArchivedCols = useCallback(() => {
    api('/api/fundraising/columns?include_archived=1').then(r => setArchivedCols((r.data || []).filter(c => c.archived_at))).catch(() => {});
  }, []);
  useEffect(() => { loadArchivedCols(); }, [loadArchivedCols, colRev]);
  const onColumnSaved = async (col, isNew) => {
    setColModal(null);
    toast(isNew ? 'Added “' + col.name + '”' : 'Saved “' + col.name + '”');
    const old = store.byId[col.id];
    if (isNew || col.type === 'formula' || (old && JSON.stringify(old.options) !== JSON.stringify(col.options) && ['single_select', 'multi_select'].includes(col.type) === false)) await reloadData();
    else store.setColumns(store.columns.map(c => (c.id === col.id ? { ...c, ...col, position: c.position } : c)));
    if (isNew) setTimeout(() => {
      const s = S.current;
      const c = s.visibleCols.findIndex(x => x.id === col.id);
      if (c >= 0) { setSelIdx(Math.min(s.ar, Math.max(0, s.n - 1)), c); scrollTo(Math.min(s.ar, Math.max(0, s.n - 1)), c); }
      focusGrid();
    }, 50);
  };
  const deleteColumn = async col => {
    try {
      await api('/api/fundraising/columns/' + encodeURIComponent(col.id), { method: 'DELETE' });
      store.setColumns(store.columns.filter(c => c.id !== col.id));
      toast('Deleted “' + col.name + '”. Restore it from Fields.', 'success');
      loadArchivedCols();
    } catch (err) {
      const used = err.body && err.body.used_by;
      throw new Error(used && used.length ? '“' + col.name + '” is used by ' + used.map(u => '“' + u + '”').join(', ') + '. Change those formulas first.' : err.message);
    }
  };
  const restoreColumn = async col => {
    try {
      await api('/api/fundraising/columns/' + encodeURIComponent(col.id) + '/restore', { method: 'POST' });
      await reloadData();
      loadArchivedCols();
      toast('Restored “' + col.name + '”');
    } catch (err) { toast('Couldn’t restore “' + col.name + '”: ' + err.message, 'error'); }
  };

  /* rows: archive, restore, show archived */
  const rowName = row => { const p = store.columns.find(c => c.primary); return (p && row.values[p.id]) || 'the investor'; };
  // Archive one investor or several; the toast's Undo restores them all.
  const archiveRows = async list => {
    const done = [];
    try {
      for (const row of list) {
        const r = await api('/api/fundraising/rows/' + encodeURIComponent(row.id), { method: 'DELETE' });
        store.putRow({ ...(r.data || row), archived_at: (r.data && r.data.archived_at) || new Date().toISOString() }, true);
        done.push(row);
      }
    } catch (err) { toast('Couldn’t archive ' + (done.length ? 'all of them (' + done.length + ' archived)' : rowName(list[done.length])) + ': ' + err.message, 'error'); }
    if (!done.length) return;
    if (!showArchived && done.some(r => r.id === panelRowId)) setPanelRowId(null);
    toast(done.length === 1 ? 'Archived ' + rowName(done[0]) : 'Archived ' + plural(done.length, 'investor'), 'success',
      { action: { label: 'Undo', run: () => restoreRows(done) } });
  };
  const archiveRow = row => archiveRows([row]);
  const restoreRows = async list => {
    let restored = 0;
    try {
      for (const row of list) {
        const r = await api('/api/fundraising/rows/' + encodeURIComponent(row.id) + '/restore', { method: 'POST' });
        store.putRow({ ...(r.data || row), archived_at: null }, true);
        restored++;
      }
      toast(restored === 1 ? 'Restored ' + rowName(list[0]) : 'Restored ' + plural(restored, 'investor'), 'success');
    } catch (err) { toast('Couldn’t restore: ' + err.message, 'error'); }
  };
  const restoreRow = row => restoreRows([row]);
  const duplicateRow = async row => {
    const values = {};
    store.columns.forEach(c => {
      const v = row.values[c.id];
      if (isEditable(c, meta) && c.type !== 'contacts' && !isEmptyValue(v)) values[c.id] = c.primary ? v + ' (copy)' : v;
    });
    try {
      const r = await api('/api/fundraising/rows', { method: 'POST', body: { values, after: row.id } });
      store.putRow(r.data, true, { after: row.id });
      setPinned(p => new Set(p).add(r.data.id));
      toast('Duplicated ' + rowName(row), 'success');
    } catch (err) { toast('Couldn’t duplicate: ' + err.message, 'error'); }
  };
  const copyRowLink = async row => {
    const link = location.origin + location.pathname + '#/grid?investor=' + encodeURIComponent(row.id);
    try { await navigator.clipboard.writeText(link); toast('Link to ' + rowName(row) + ' copied', 'success'); }
    catch (e) { window.prompt('Copy this link', link); }
  };
  const onRowMenu = useCallback((r, c, x, y) => {
    const s = S.current;
    const g = s.sel;
    if (!(r >= g.r0 && r <= g.r1 && c >= g.c0 && c <= g.c1)) setSelIdx(r, c);
    setRowMenu({ r, x, y });
  }, [setSelIdx]);
  const toggleArchived = async () => {
    if (!showArchived && !store.archivedLoaded) {
      try {
        const r = await api('/api/fundraising/grid?include_archived=1');
        (r.data.rows || []).forEach(row => { if (row.archived_at) store.putRow(row, true); });
        store.placeInOrder((r.data.rows || []).map(row => row.id));  // archived investors where they were
        store.archivedLoaded = true;
      } catch (err) { toast('Couldn’t load archived investors: ' + err.message, 'error'); return; }
    }
    setShowArchived(v => !v);
  };

  /* views: create, rename, duplicate, share, delete */
  const createView = async (name, shared, copyFrom) => {
    if (!views.length) {
      // The implicit "All investors" becomes a real shared view before the first other one exists.
      const d = { ...DEFAULT_VIEW, ...(drafts.__default || {}) };
      clearTimeout(saveTimer.current);
      delete pendingViewSave.current.__default;
      const all = await api('/api/fundraising/views', { method: 'POST', body: { name: d.name, shared: true, filter: cleanFilter(d.filter, byId, meta), sort: d.sort, hidden: d.hidden, order: d.order, frozen: d.frozen, row_height: d.row_height } });
      setViews(vs => [all.data, ...vs]);
      setDrafts(x => { const next = { ...x }; delete next.__default; return next; });
    }
    const body = { name, shared };
    if (copyFrom) { CONFIG_KEYS.forEach(k => { body[k] = copyFrom[k]; }); body.filter = cleanFilter(copyFrom.filter, byId, meta); }
    const r = await api('/api/fundraising/views', { method: 'POST', body });
    setViews(vs => [...vs, r.data]);
    selectView(r.data.id);
    toast('Created the view “' + r.data.name + '”');
    return r.data;
  };
  const clearAdhoc = () => { setAdhoc(null); if (route.query.filter) navigate('#/grid', true); };
  const saveAdhoc = async () => {
    try { await createView(adhoc.title.slice(0, 100), true, { ...cfg }); clearAdhoc(); }
    catch (err) { toast('Couldn’t save the view: ' + err.message, 'error'); }
  };
  const renameView = async (view, name) => {
    setRenamingView(null);
    if (!name) return;
    if (!view.id) { updateView({ name }); return; }
    try { const r = await api('/api/fundraising/views/' + encodeURIComponent(view.id), { method: 'PATCH', body: { name } }); setViews(vs => vs.map(v => (v.id === view.id ? r.data : v))); }
    catch (err) { toast('Couldn’t rename: ' + err.message, 'error'); }
  };
  const shareView = async view => {
    try {
      const r = await api('/api/fundraising/views/' + encodeURIComponent(view.id), { method: 'PATCH', body: { shared: !view.shared } });
      setViews(vs => vs.map(v => (v.id === view.id ? r.data : v)));
      toast(r.data.shared ? '“' + r.data.name + '” is shared with the team' : '“' + r.data.name + '” is now personal: only you see it');
    } catch (err) { toast(err.status === 403 ? 'Only the person who created this view can change who sees it.' : 'Couldn’t change sharing: ' + err.message, 'error'); }
  };
  const deleteView = async view => {
    await api('/api/fundraising/views/' + encodeURIComponent(view.id), { method: 'DELETE' });
    const rest = views.filter(v => v.id !== view.id);
    setViews(rest);
    if (viewId === view.id) selectView(rest[0] ? rest[0].id : null);
    toast('Deleted the view “' + view.name + '”');
  };
  useEffect(() => { if (viewId && views.length && !views.some(v => v.id === viewId)) setViewId(views[0].id); if (viewId && !views.length) setViewId(null); }, [views, viewId]);

  /* first run */
  const loadSample = async () => {
    try { const r = await api('/api/fundraising/sample', { method: 'POST' }); await reloadData(); toast('Loaded ' + plural((r.data && r.data.created) || 0, 'sample investor')); }
    catch (err) { toast(err.status === 404 ? 'Sample data isn’t available on this server yet.' : 'Couldn’t load the sample: ' + err.message, 'error'); }
  };

  /* the editor overlay's position */
  const getEditRect = useCallback(() => {
    const s = S.current, ed = s.editing;
    if (!ed || !canvas.current) return null;
    const r = s.viewRows.findIndex(x => x.id === ed.rowId);
    const c = s.visibleCols.findIndex(x => x.id === ed.colId);
    return canvas.current.cellRect(r < 0 ? ed.r : r, c < 0 ? ed.c : c);
  }, []);
  useEffect(() => { if (!editing) return; const row = store.get(editing.rowId); if (!row || row.archived_at) setEditing(null); }, [rev, editing, store]);

  const panelStep = useCallback(d => {
    const s = S.current;
    const i = s.viewRows.findIndex(r => r.id === s.panelRowId);
    const j = Math.max(0, Math.min(s.n - 1, (i < 0 ? 0 : i) + d));
    if (s.viewRows[j]) { setPanelRowId(s.viewRows[j].id); setSelIdx(j, s.ac); scrollTo(j, s.ac); }
  }, [setSelIdx, scrollTo]);
  const closePanel = useCallback(() => { setPanelRowId(null); setTimeout(focusGrid, 0); }, [focusGrid]);

  const filterCount = countConditions(cleanF);
  const sortCount = (cfg.sort || []).length;
  const hiddenCount = (cfg.hidden || []).filter(id => byId[id]).length;
  const totalCount = baseRows.length;
  const firstRun = store.liveCount() === 0 && !showArchived && !search;
  const editCol = editing && byId[editing.colId];
  const editRow = editing && store.get(editing.rowId);
  const sampleRow = activeRow || viewRows[0] || null;
  const nameCol = columns.find(c => c.primary);
  const hm = headerMenu && L.cols[headerMenu.ci];
  const viewForMenu = viewMenu && (views.find(v => v.id === viewMenu.id) || DEFAULT_VIEW);
  const allViews = views.length ? views : [DEFAULT_VIEW];

  const emptyState = !firstRun && n === 0 ? (
    <div className="empty-view">
      <div className="card">
        <CenterState icon={search ? 'search' : 'filter'} title={search ? 'No investors match “' + search + '”' : 'No investors match this view'}
          action={search ? <Button icon="x" onClick={() => setSearch('')}>Clear search</Button> : <Button icon="filter" onClick={() => setFilterOpen(true)}>Edit filters</Button>}>
          {search ? 'Search looks at every visible field.' : 'Change the filters or add an investor.'}
        </CenterState>
      </div>
    </div>
  ) : null;

  const portal = slot ? ReactDOM.createPortal(<PresenceBar peers={peers} me={me} clientId={clientId} live={live} />, slot) : null;
  if (firstRun) {
    return (
      <div className="gp" data-live={live}>
        {portal}
        <FirstRunPanel onSample={loadSample} onScratch={() => addRow()} />
      </div>
    );
  }
  return (
    <div className="gp" data-live={live}>
      {portal}
      <div className="gp-views" role="tablist" aria-label="Views">
        <div className="gp-views-scroll">
          {allViews.map(v => (
            <ViewTab key={v.id || '__default'} view={v.id === viewId || (!v.id && !viewId) ? { ...v, name: cfg.name || v.name } : v} active={v.id === viewId || (!v.id && !viewId)}
              renaming={renamingView === (v.id || '__default')} onRename={name => renameView(v, name)}
              onSelect={() => { if (v.id !== viewId) selectView(v.id); }}
              onMenu={(el, action) => { if (action === 'rename') setRenamingView(v.id || '__default'); else setViewMenu({ id: v.id, el }); }} />
          ))}
        </div>
        <button type="button" className="tbtn vt-add" onClick={e => setNewViewAnchor(e.currentTarget)} aria-label="New view" title="New view"><Icon name="plus" /><span className="tb-label">New view</span></button>
        <span className="vt-saving" aria-live="polite">{savingView || busy ? <><Spinner />Saving…</> : <><Icon name="check" />Saved</>}</span>
      </div>
      {adhoc && (
        <div className="gp-adhoc" role="status" aria-label="Ad-hoc filter">
          <span className="gp-adhoc-chip" title={'Opened from the dashboard: ' + adhoc.title}><Icon name="chart" /><span>Dashboard: {adhoc.title}</span></span>
          <span className="gp-adhoc-note">An unsaved filter over this view</span>
          <span className="spacer" />
          <Button size="sm" icon="plus" onClick={saveAdhoc}>Save as view</Button>
          <Button size="sm" icon="x" onClick={clearAdhoc}>Clear</Button>
        </div>
      )}
      <div className="gp-tools" role="toolbar" aria-label="Grid tools">
        <PopButton icon="filter" label={filterCount ? 'Filtered by ' + plural(filterCount, 'condition') : 'Filter'} ariaLabel="Filter" on={filterCount > 0} popClassName="pop-filter" popLabel="Filter"
          open={filterOpen} onOpenChange={v => { setFilterOpen(v); if (!v) setDrafts(d => (d[viewKey] && d[viewKey].filter && !pendingViewSave.current[viewKey] ? { ...d, [viewKey]: { ...d[viewKey], filter: cleanF } } : d)); }}>
          <div className="pop-head">Show investors where…<span className="spacer" />{filterCount > 0 && <button type="button" className="fb-add" onClick={() => updateView({ filter: { op: 'and', conditions: [] } })}>Clear</button>}</div>
          <div className="pop-body">
            <FilterBuilder columns={columns} meta={meta} value={cfg.filter} onChange={f => updateView({ filter: f })} label="View filter" />
          </div>
        </PopButton>
        <PopButton icon="arrow-up-down" label={sortCount ? 'Sorted by ' + plural(sortCount, 'field') : 'Sort'} ariaLabel="Sort" on={sortCount > 0} tone="amber" popClassName="pop-sort" popLabel="Sort">
          <div className="pop-head">Sort investors</div>
          <div className="pop-body"><SortBuilder columns={columns} sort={cfg.sort || []} onChange={s => updateView({ sort: s })} /></div>
        </PopButton>
        <PopButton icon="eye-off" label={hiddenCount ? plural(hiddenCount, 'hidden field') : 'Fields'} ariaLabel="Fields" on={hiddenCount > 0} tone="green" popClassName="pop-fields" popLabel="Fields"
          className="tb-collapse" open={fieldsOpen} onOpenChange={setFieldsOpen}>
          <FieldsPanel columns={orderedCols} hidden={cfg.hidden || []} frozen={frozen} maxFrozen={Math.min(10, Math.max(0, visibleCols.length - 1))}
            onHidden={h => updateView({ hidden: h })} onFrozen={f => updateView({ frozen: f })} archived={archivedCols} onRestore={restoreColumn} />
        </PopButton>
        <PopButton icon="rows" label={ROW_HEIGHTS[L.rowHeight].label + ' rows'} title="Row height" menu popLabel="Row height" className="tb-collapse">
          {close => Object.entries(ROW_HEIGHTS).map(([key, rh]) => (
            <button key={key} type="button" role="menuitemradio" aria-checked={L.rowHeight === key ? 'true' : 'false'} className={cx('menu-item', L.rowHeight === key && 'is-on')}
              onClick={() => { updateView({ row_height: key }); close(); }}>
              <Icon name={L.rowHeight === key ? 'check' : 'rows'} /><span>{rh.label}</span><span className="menu-aside">{rh.lines === 1 ? '1 line' : rh.lines + ' lines'}</span>
            </button>
          ))}
        </PopButton>
        <button type="button" className={cx('tbtn tb-collapse', showArchived && 'is-on')} aria-pressed={showArchived ? 'true' : 'false'} onClick={toggleArchived} title="Show archived investors">
          <Icon name="archive" /><span className="tb-label">{showArchived ? 'Showing archived' : 'Show archived'}</span>
        </button>
        <span className="tb-sep tb-collapse" />
        <button type="button" className="tbtn tb-collapse" onClick={() => doUndo(false)} title={'Undo (' + MOD_KEY + '+Z)'} aria-label="Undo"><Icon name="rotate-ccw" /></button>
        <button type="button" className="tbtn tb-collapse" onClick={() => setHelp(true)} title="Keyboard shortcuts (?)" aria-label="Keyboard shortcuts"><Icon name="keyboard" /></button>
        <button type="button" className="tbtn tb-collapse" onClick={() => navigate('#/import' + (viewId ? '?view=' + encodeURIComponent(viewId) : ''))} title="Import a CSV, or export this view as CSV" aria-label="Import and export CSV"><Icon name="upload" /></button>
        {/* On a phone the tools above fold into one menu. */}
        <PopButton icon="more-horizontal" ariaLabel="More tools" title="More tools" menu popLabel="More tools" className="tb-more" align="end">
          {close => (
            <>
              <MenuItem icon="eye-off" onClick={() => { close(); setTimeout(() => setFieldsOpen(true), 0); }}>{hiddenCount ? plural(hiddenCount, 'hidden field') : 'Fields'}</MenuItem>
              {Object.entries(ROW_HEIGHTS).map(([key, rh]) => (
                <MenuItem key={key} icon={L.rowHeight === key ? 'check' : 'rows'} onClick={() => { close(); updateView({ row_height: key }); }}>{rh.label + ' rows'}</MenuItem>
              ))}
              <MenuItem icon="archive" onClick={() => { close(); toggleArchived(); }}>{showArchived ? 'Hide archived' : 'Show archived'}</MenuItem>
              <div className="menu-sep" />
              <MenuItem icon="rotate-ccw" onClick={() => { close(); doUndo(false); }}>Undo</MenuItem>
              <MenuItem icon="plus" onClick={() => { close(); setColModal({ column: null }); }}>Add a field</MenuItem>
              <MenuItem icon="upload" onClick={() => { close(); navigate('#/import' + (viewId ? '?view=' + encodeURIComponent(viewId) : '')); }}>Import or export CSV</MenuItem>
            </>
          )}
        </PopButton>
        <div className="gp-search">
          <Icon name="search" />
          <input ref={searchRef} className="input" placeholder="Search investors" value={search} onChange={e => setSearch(e.target.value)} aria-label="Search investors"
            onKeyDown={e => { if (e.key === 'Escape') { setSearch(''); focusGrid(); } if (e.key === 'Enter' || e.key === 'ArrowDown') { e.preventDefault(); focusGrid(); } }} />
          {search && <button type="button" className="icon-btn gs-clear" aria-label="Clear search" onClick={() => { setSearch(''); searchRef.current.focus(); }}><Icon name="x" /></button>}
        </div>
        <span className="gp-count" aria-live="polite">{n === totalCount ? n.toLocaleString() + (n === 1 ? ' investor' : ' investors') : n.toLocaleString() + ' of ' + totalCount.toLocaleString()}</span>
        <Button size="sm" icon="plus" onClick={() => setColModal({ column: null })} className="tb-addcol" title="Add a field" aria-label="Add a field"><span className="tb-label">Field</span></Button>
        <Button size="sm" variant="primary" icon="plus" onClick={() => addRow()}>Investor</Button>
      </div>
      <div className="gv-wrap">
        <GridCanvas apiRef={canvas} L={L} rows={viewRows} sel={selInfo} peersByRow={peersByRow} flashByRow={flash} sortByCol={sortByCol} filterCols={filterCols}
          sums={sums} totalCount={totalCount} archivedShown={showArchived}
          onCellDown={onCellDown} onCellDrag={onCellDrag} onCellDouble={onCellDouble} onToggle={onToggle} onExpand={onExpand} onAddRow={onAddRowClick} onRowSelect={onRowSelect} onRowMenu={onRowMenu}
          onHeaderClick={onHeaderClick} onHeaderMenu={onHeaderMenu} onResize={onResize} onMove={onMove} onAddColumn={() => setColModal({ column: null })}
          onKeyDown={onKeyDown} onCopy={onCopy} onCut={onCut} onPaste={onPaste} />
        {emptyState}
      </div>

      {editing && editCol && editRow && (
        <GridEditorOverlay key={editing.rowId + editing.colId} getRect={getEditRect} scrollEl={canvas.current && canvas.current.el()} col={editCol}
          value={editRow.values[editCol.id]} seed={editing.seed} onCommit={commitEdit} onCancel={cancelEdit} />
      )}
      {rowMenu && viewRows[rowMenu.r] && (() => {
        const row = viewRows[rowMenu.r], close = () => { setRowMenu(null); focusGrid(); };
        const picked = selInfo.c0 === 0 && selInfo.c1 === visibleCols.length - 1 && selInfo.r1 > selInfo.r0 && rowMenu.r >= selInfo.r0 && rowMenu.r <= selInfo.r1
          ? viewRows.slice(selInfo.r0, selInfo.r1 + 1).filter(r => !r.archived_at) : null;
        const at = { left: rowMenu.x, right: rowMenu.x, top: rowMenu.y, bottom: rowMenu.y, width: 0, height: 0 };
        // A sorted view decides where every row sits, so a row cannot go between two others there.
        const sorted = (cfg.sort || []).length > 0;
        return (
          <Popover anchor={at} onClose={() => setRowMenu(null)} menu offset={2} label={'Actions for ' + rowName(row)}>
            <div className="menu-title">{rowName(row)}</div>
            <MenuItem icon="arrow-up" disabled={sorted} onClick={() => { close(); addRow(undefined, { before: row.id }); }}>Insert above</MenuItem>
            <MenuItem icon="arrow-down" disabled={sorted} onClick={() => { close(); addRow(undefined, { after: row.id }); }}>Insert below</MenuItem>
            {sorted && <div className="menu-note">Sorted view: new investors go where the sort puts them.</div>}
            <div className="menu-sep" />
            <MenuItem icon="maximize" onClick={() => { close(); openPanel(rowMenu.r); }}>Expand investor</MenuItem>
            <MenuItem icon="copy" onClick={() => { close(); duplicateRow(row); }}>Duplicate</MenuItem>
            <MenuItem icon="link" onClick={() => { close(); copyRowLink(row); }}>Copy link</MenuItem>
            {!row.archived_at && <MenuItem icon="bell" onClick={() => { setRowMenu(null); setFollowUp({ row, at }); }}>Follow up in…</MenuItem>}
            {!row.archived_at && columns.some(c => c.type === 'fund') && <MenuItem icon="kanban" onClick={() => { setRowMenu(null); setPipeAdd(row); }}>Add to pipeline…</MenuItem>}
            <div className="menu-sep" />
            {row.archived_at
              ? <MenuItem icon="rotate-ccw" onClick={() => { close(); restoreRow(row); }}>Restore investor</MenuItem>
              : <MenuItem icon="archive" danger onClick={() => { close(); if (picked && picked.length > 1) setArchivePrompt(picked); else archiveRow(row); }}>
                {picked && picked.length > 1 ? 'Archive ' + plural(picked.length, 'investor') + '…' : 'Archive investor'}</MenuItem>}
          </Popover>
        );
      })()}
      {pipeAdd && (
        <AddOpportunityDialog investor={{ id: pipeAdd.id, name: rowName(pipeAdd) }} user={me} onClose={() => { setPipeAdd(null); focusGrid(); }} onAdded={() => { setPipeAdd(null); focusGrid(); }}
          funds={(() => {  // the funds this investor is not in the pipeline of yet
            const inFund = new Set(columns.filter(c => c.type === 'pipeline' && pipeAdd.values[c.id]).map(c => c.options.fund_id));
            return columns.filter(c => c.type === 'fund' && !inFund.has(c.id));
          })()} />
      )}
      {followUp && (
        <FollowUpPopover anchor={followUp.at} investorId={followUp.row.id} investorName={rowName(followUp.row)} onClose={() => { setFollowUp(null); focusGrid(); }} />
      )}
      {archivePrompt && (
        <ConfirmDialog title={archivePrompt.length === 1 ? 'Archive ' + rowName(archivePrompt[0]) + '?' : 'Archive ' + plural(archivePrompt.length, 'investor') + '?'}
          body={<>Archived investors leave the grid with all their cells, history and people kept; “Show archived” finds them and one click restores them. To empty cells instead, select the cells rather than whole rows.</>}
          confirmLabel={archivePrompt.length === 1 ? 'Archive investor' : 'Archive ' + plural(archivePrompt.length, 'investor')}
          onConfirm={() => archiveRows(archivePrompt)} onClose={() => { setArchivePrompt(null); focusGrid(); }} />
      )}
      {headerMenu && hm && (
        <Popover anchor={headerMenu.el} onClose={() => setHeaderMenu(null)} menu label={'Field menu for ' + hm.name}>
          <div className="menu-label">{hm.name} · {typeMeta(hm).label}</div>
          <MenuItem icon="pencil" onClick={() => { setHeaderMenu(null); setColModal({ column: hm }); }}>Edit field…</MenuItem>
          <div className="menu-sep" />
          <MenuItem icon="arrow-up" onClick={() => { setHeaderMenu(null); updateView({ sort: [{ column_id: hm.id, direction: 'asc' }] }); }}>Sort {sortLabels(hm)[0]}</MenuItem>
          <MenuItem icon="arrow-down" onClick={() => { setHeaderMenu(null); updateView({ sort: [{ column_id: hm.id, direction: 'desc' }] }); }}>Sort {sortLabels(hm)[1]}</MenuItem>
          <MenuItem icon="filter" onClick={() => { setHeaderMenu(null); const f = cfg.filter && cfg.filter.conditions ? cfg.filter : { op: 'and', conditions: [] }; updateView({ filter: { ...f, conditions: [...f.conditions, newCondition(hm, meta)] } }); setFilterOpen(true); }}>Filter by this field</MenuItem>
          <MenuItem icon="pin" onClick={() => { setHeaderMenu(null); updateView({ frozen: headerMenu.ci < frozen ? headerMenu.ci : headerMenu.ci + 1 }); }}>{headerMenu.ci < frozen ? 'Unfreeze from here' : 'Freeze up to this field'}</MenuItem>
          {!hm.primary && <MenuItem icon="eye-off" onClick={() => { setHeaderMenu(null); updateView({ hidden: [...(cfg.hidden || []), hm.id] }); }}>Hide field</MenuItem>}
          {!hm.primary && <><div className="menu-sep" /><MenuItem icon="trash" danger onClick={() => { setHeaderMenu(null); setConfirm({ kind: 'column', col: hm }); }}>Delete field…</MenuItem></>}
        </Popover>
      )}
      {viewMenu && viewForMenu && (
        <Popover anchor={viewMenu.el} onClose={() => setViewMenu(null)} menu label={'Options for ' + viewForMenu.name}>
          <div className="menu-label">{viewForMenu.shared === false ? 'Personal view' : 'Shared view'}{viewForMenu.owner_name ? ' · by ' + viewForMenu.owner_name : ''}</div>
          <MenuItem icon="pencil" onClick={() => { setViewMenu(null); setRenamingView(viewForMenu.id || '__default'); }}>Rename</MenuItem>
          <MenuItem icon="copy" onClick={() => { setViewMenu(null); createView((cfg.name || viewForMenu.name) + ' copy', viewForMenu.shared !== false, cfg).catch(err => toast('Couldn’t duplicate: ' + err.message, 'error')); }}>Duplicate</MenuItem>
          {viewForMenu.id && <MenuItem icon={viewForMenu.shared === false ? 'users' : 'lock'} onClick={() => { setViewMenu(null); shareView(viewForMenu); }}>{viewForMenu.shared === false ? 'Share with the team' : 'Make personal'}</MenuItem>}
          {viewForMenu.id && <><div className="menu-sep" /><MenuItem icon="trash" danger onClick={() => { setViewMenu(null); setConfirm({ kind: 'view', view: viewForMenu }); }}>Delete view…</MenuItem></>}
        </Popover>
      )}
      {newViewAnchor && (
        <Popover anchor={newViewAnchor} onClose={() => setNewViewAnchor(null)} className="pop-newview" label="New view">
          <NewViewForm onCreate={(name, shared) => createView(name, shared)} onClose={() => setNewViewAnchor(null)} />
        </Popover>
      )}
      {confirm && confirm.kind === 'column' && (
        <ConfirmDialog title={'Delete “' + confirm.col.name + '”?'} confirmLabel="Delete field" onClose={() => setConfirm(null)} onConfirm={() => deleteColumn(confirm.col)}
          body={'The field disappears from every view. Its values are kept: restore it any time from Fields → Deleted fields.'} />
      )}
      {confirm && confirm.kind === 'clear' && (
        <ConfirmDialog title={'Clear ' + confirm.count.toLocaleString() + ' cells?'} confirmLabel="Clear cells" onClose={() => { setConfirm(null); focusGrid(); }}
          onConfirm={async () => { clearRange(true); }}
          body={'Every value in the selection (' + plural(confirm.rows, 'investor') + ') is cleared. ' + MOD_KEY + '+Z brings them back.'} />
      )}
      {confirm && confirm.kind === 'view' && (
        <ConfirmDialog title={'Delete the view “' + confirm.view.name + '”?'} confirmLabel="Delete view" onClose={() => setConfirm(null)} onConfirm={() => deleteView(confirm.view)}
          body={confirm.view.shared ? 'Everyone loses this view. Investors and their data are not affected.' : 'Investors and their data are not affected.'} />
      )}
      {colModal && (
        <ColumnModal column={colModal.column} columns={[...columns, ...archivedCols]} meta={meta} row={sampleRow} rowName={sampleRow && nameCol ? sampleRow.values[nameCol.id] : null}
          onClose={() => { setColModal(null); focusGrid(); }} onSaved={onColumnSaved} />
      )}
      {panelRowId && store.get(panelRowId) && (
        <RowPanel store={store} rowId={panelRowId} meta={meta} writer={writer} onClose={closePanel} onStep={panelStep} onArchive={archiveRow} onRestore={restoreRow} />
      )}
      {conflict && (
        <ConflictDialog conflict={conflict} columnsById={byId}
          onKeepMine={() => { const c = conflict; setConflict(null); writer.resend(c); focusGrid(); }}
          onUseTheirs={() => { setConflict(null); focusGrid(); }} />
      )}
      {help && <ShortcutsHelp onClose={() => { setHelp(false); focusGrid(); }} />}
    </div>
  );
}

function GridSkeleton() {
  const widths = [260, 150, 160, 220, 140, 160, 150, 150];
  return (
    <div className="gp" aria-busy="true" aria-label="Loading the grid">
      <div className="gp-views"><span className="sk" style={{ width: 120, height: 14 }} /></div>
      <div className="gp-tools"><span className="sk" style={{ width: 320, height: 14 }} /></div>
      <div className="gv-wrap">
        <div className="gv-skel">
          <div className="gv-skel-row head">{widths.map((w, i) => <span key={i} style={{ width: w }}><span className="sk" /></span>)}</div>
          {Array.from({ length: 14 }).map((_, r) => (
            <div className="gv-skel-row" key={r}>{widths.map((w, i) => <span key={i} style={{ width: w }}><span className="sk" style={{ width: (40 + ((r * 7 + i * 13) % 45)) + '%' }} /></span>)}</div>
          ))}
        </div>
      </div>
    </div>
  );
}

function GridPage({ user, slot }) {
  usePageTitle('Grid');
  const [state, setState] = useState({ phase: 'loading' });
  const storeRef = useRef(null);
  const load = useCallback(async () => {
    if (!tokenStore.get()) return; // signing out: the app is about to show the sign-in screen
    setState(s => (s.phase === 'ready' ? s : { phase: 'loading' }));
    try {
      const [g, m, v] = await Promise.all([api('/api/fundraising/grid?shape=compact'), api('/api/fundraising/meta'), api('/api/fundraising/views')]);
      storeRef.current = new GridStore(g.data);
      window.__vcrmGrid = { rows: storeRef.current.rows.size, at: performance.now() };
      setState({ phase: 'ready', store: storeRef.current, meta: m.data || {}, views: v.data || [] });
    } catch (err) {
      setState({ phase: 'error', error: err });
    }
  }, []);
  const reloadData = useCallback(async () => {
    try {
      const g = await api('/api/fundraising/grid?shape=compact');
      if (storeRef.current) storeRef.current.load(g.data);
    } catch (err) { /* the live loop retries */ }
  }, []);
  useEffect(() => { load(); }, [load]);
  if (state.phase === 'loading') return <GridSkeleton />;
  if (state.phase === 'error') {
    return (
      <div className="page">
        <div className="card">
          <CenterState icon="alert-triangle" tone="red" title="Couldn’t load the grid" action={<Button icon="refresh" onClick={load}>Try again</Button>}>{state.error.message}</CenterState>
        </div>
      </div>
    );
  }
  return <GridWorkspace store={state.store} meta={state.meta} me={user} initialViews={state.views} slot={slot} reloadData={reloadData} />;
}

registerScreen({ path: '/grid', label: 'Grid', icon: 'grid', title: 'Fundraising grid', Page: GridPage, order: 10, flush: true });
