/* ========================================================================
   Search and questions
   - The search palette (`/` or Ctrl-K / ⌘K anywhere but a text field, or the top bar's search
     button): GET /api/search as you type, hits grouped by investor, ↑/↓ and Enter to open, Esc to
     close; "Ask a question instead" hands the text to the Ask screen.
   - Ask (#/ask?q=…): POST /api/ask, the answer as a table, the plan in plain words, and "Save as
     view" (POST /api/fundraising/views) when the answer is a set of investors the grid can show.
   Highlighted ranges are React <mark> elements built from offsets (never HTML from the server).
   ======================================================================== */
const SEARCH_DEBOUNCE_MS = 150;
const SEARCH_LIMIT = 30;
const SEARCH_KINDS = {
  email: { icon: 'mail', label: 'Email' },
  note: { icon: 'file-text', label: 'Note' },
  interaction: { icon: 'calendar', label: 'Interaction' },
  investor: { icon: 'landmark', label: 'Investor' },
};
const SEARCH_MODES = {
  hybrid: ['Hybrid search', 'Words and meaning'],
  sparse: ['Keyword search', 'Matching words; meaning search is not running on this box'],
};
const ASK_EXAMPLES = [
  'Who haven’t we emailed in 90 days?',
  'How much is committed to Fund III?',
  'Investors in more than one fund',
  'Most active investors this month',
];
const ASK_VIEW_KEYS = ['shared', 'filter', 'sort', 'hidden', 'order', 'frozen', 'row_height'];
const ASK_SLOW_MS = 700;       // after this, the progress state shows
const ASK_PATIENCE_MS = 6000;  // after this, it says the local model takes its time
const SEARCH_OPEN_EVENT = 'vcrm:search-open';

// Open the palette from anywhere (the top bar's button, a screen), optionally with text.
function openSearchPalette(text) { window.dispatchEvent(new CustomEvent(SEARCH_OPEN_EVENT, { detail: { text: text || '' } })); }

// Whether a key press is someone typing into a field (where `/` is a character, not a shortcut).
function searchTyping(el) {
  if (!el || el === document.body) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes((el.type || '').toLowerCase());
}

// A snippet as text and <mark>s: the server's [start, end) ranges, sorted, clamped and merged;
// without any, the words typed (3+ letters, or the whole query) wherever they occur.
function searchSpans(text, highlights, query) {
  const s = String(text || '');
  let ranges = [];
  if (Array.isArray(highlights) && highlights.length) {
    ranges = highlights.filter(r => Array.isArray(r) && r.length >= 2)
      .map(([a, b]) => [Math.max(0, Math.min(s.length, a | 0)), Math.max(0, Math.min(s.length, b | 0))]).filter(([a, b]) => b > a);
  } else if (query) {
    const words = String(query).toLowerCase().split(/\s+/).filter(w => w.length >= 3 || w === String(query).trim().toLowerCase()).filter(Boolean);
    const low = s.toLowerCase();
    words.forEach(w => { for (let i = low.indexOf(w); i >= 0 && ranges.length < 40; i = low.indexOf(w, i + w.length)) ranges.push([i, i + w.length]); });
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const merged = [];
  ranges.forEach(r => { const last = merged[merged.length - 1]; if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]); else merged.push([r[0], r[1]]); });
  const out = [];
  let at = 0;
  merged.forEach(([a, b], i) => {
    if (a > at) out.push(s.slice(at, a));
    out.push(<mark key={i}>{s.slice(a, b)}</mark>);
    at = b;
  });
  if (at < s.length) out.push(s.slice(at));
  return out;
}

// The snippet without the title it often starts with (the highlights move with it).
function searchSnippet(hit) {
  const snip = String(hit.snippet || ''), title = String(hit.title || '').trim();
  if (!title || !snip.startsWith(title)) return [snip, hit.highlights];
  const rest = snip.slice(title.length), cut = title.length + (rest.length - rest.replace(/^[\s.:;,—–-]+/, '').length);
  if (cut >= snip.length) return [snip, hit.highlights];
  const hl = Array.isArray(hit.highlights) ? hit.highlights.filter(r => Array.isArray(r) && r[1] > cut).map(([a, b]) => [Math.max(0, a - cut), b - cut]) : hit.highlights;
  return [snip.slice(cut), hl];
}

function searchHitHref(hit, query) {
  const inv = hit.investor;
  if (hit.type === 'email') {
    const q = new URLSearchParams();
    if (inv) q.set('investor', inv.id);
    if (query) q.set('search', query);
    return '#/communications' + (q.toString() ? '?' + q : '');
  }
  if (hit.type === 'investor') return '#/grid?investor=' + encodeURIComponent((inv && inv.id) || hit.id);
  return inv ? '#/grid?investor=' + encodeURIComponent(inv.id) : '#/grid';
}

// Hits grouped by investor in the order of their best hit; hits with no investor last.
function searchGroups(hits) {
  const groups = new Map();
  hits.forEach(h => {
    const inv = h.investor || (h.type === 'investor' ? { id: h.id, name: h.title } : null);
    const key = inv ? inv.id : '';
    if (!groups.has(key)) groups.set(key, { key, investor: inv, hits: [] });
    groups.get(key).hits.push(h);
  });
  const list = [...groups.values()];
  return [...list.filter(g => g.investor), ...list.filter(g => !g.investor)];
}

function searchDate(v) {
  const d = toDate(v);
  if (!d) return '';
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
  return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric' });
}

function SearchKindIcon({ type }) {
  const k = SEARCH_KINDS[type] || SEARCH_KINDS.note;
  return <span className={'sp-kind sp-kind-' + (SEARCH_KINDS[type] ? type : 'note')} title={k.label}><Icon name={k.icon} /><span className="sr-only">{k.label}</span></span>;
}

/* ---------- the results, as you type ---------- */
function useSearchResults(text, extra) {
  const [state, setState] = useState({ q: '', hits: [], mode: null, loading: false, error: null });
  const seq = useRef(0);
  const q = text.trim();
  const params = extra || '';
  useEffect(() => {
    const my = ++seq.current;
    if (!q) { setState({ q: '', hits: [], mode: null, loading: false, error: null }); return undefined; }
    setState(s => ({ ...s, loading: true, error: null }));
    const ctl = new AbortController();
    const t = setTimeout(async () => {
      try {
        const r = await api('/api/search?q=' + encodeURIComponent(q) + '&limit=' + SEARCH_LIMIT + params, { signal: ctl.signal });
        if (my === seq.current) setState({ q, hits: (r && r.data) || [], mode: (r && r.mode) || null, loading: false, error: null });
      } catch (err) {
        if (err && err.name === 'AbortError') return;
        if (my === seq.current) setState(s => ({ ...s, loading: false, error: err }));
      }
    }, SEARCH_DEBOUNCE_MS);
    return () => { clearTimeout(t); ctl.abort(); };
  }, [q, params]);
  return state;
}

function SearchPalette({ initial, onClose }) {
  const [text, setText] = useState(initial || '');
  const [active, setActive] = useState(0);
  const input = useRef(null);
  const list = useRef(null);
  const box = useRef(null);
  const listId = useId();
  const res = useSearchResults(text);
  const q = text.trim();
  const groups = useMemo(() => searchGroups(res.hits), [res.hits]);
  const flat = useMemo(() => groups.flatMap(g => g.hits), [groups]);
  useEffect(() => { setActive(0); }, [res.hits]);
  // Focus in the commit itself, not a timer: the browser runs typing before timers, so the first
  // letters typed right after `/` or Ctrl-K would land elsewhere (the opening key is prevented).
  useLayoutEffect(() => {
    const prev = document.activeElement;
    if (input.current) { input.current.focus(); input.current.select(); }
    document.body.classList.add('sp-open');
    return () => { document.body.classList.remove('sp-open'); if (prev && prev.focus && document.contains(prev)) prev.focus(); };
  }, []);
  useEffect(() => {  // keep the highlighted hit in sight
    const el = list.current && list.current.querySelector('[data-active="true"]');
    if (el && el.scrollIntoView) el.scrollIntoView({ block: 'nearest' });
  }, [active]);
  const go = href => { onClose(); navigate(href); };
  const open = hit => go(searchHitHref(hit, res.q));
  const ask = () => go('#/ask' + (q ? '?q=' + encodeURIComponent(q) : ''));
  const onKey = e => {
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); onClose(); return; }
    if (e.key === 'ArrowDown') { e.preventDefault(); if (flat.length) setActive(a => (a + 1) % flat.length); return; }
    if (e.key === 'ArrowUp') { e.preventDefault(); if (flat.length) setActive(a => (a - 1 + flat.length) % flat.length); return; }
    if (e.key === 'Enter' && e.target === input.current) {
      e.preventDefault();
      if (flat[active] && res.q === q) open(flat[active]);
      else if (q && !res.loading && !flat.length) ask();
      return;
    }
    if (e.key === 'Tab' && box.current) {  // focus stays in the palette
      const f = box.current.querySelectorAll('input, button:not([disabled]), a[href]');
      if (!f.length) return;
      const first = f[0], last = f[f.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
  };
  const stale = res.loading && res.hits.length > 0;
  const fresh = res.q === q;
  let body;
  if (!q) {
    body = (
      <div className="sp-empty">
        <div className="sp-empty-title">Search notes, meetings, mail and investors</div>
        <p>Type a name, a fund, or words someone wrote: “re-up”, “side letter”, “Fund III”.</p>
        <div className="sp-examples">
          <span className="sp-examples-label">Or ask</span>
          {ASK_EXAMPLES.slice(0, 3).map(x => <button type="button" key={x} className="ask-chip" onClick={() => go('#/ask?q=' + encodeURIComponent(x))}><Icon name="sparkles" />{x}</button>)}
        </div>
      </div>
    );
  } else if (res.error && !res.loading) {
    body = <div className="sp-state is-error" role="alert"><Icon name="alert-circle" /><div><b>Search didn’t answer.</b> {res.error.message}</div></div>;
  } else if (!res.hits.length && (res.loading || !fresh)) {
    body = (
      <div className="sp-loading" aria-label="Searching">
        {[0, 1, 2].map(i => <div className="sp-sk" key={i}><span className="sk sk-icon" /><span className="sp-sk-lines"><span className="sk" /><span className="sk sk-short" /></span></div>)}
      </div>
    );
  } else if (!res.hits.length) {
    body = (
      <div className="sp-state">
        <Icon name="search" />
        <div><b>Nothing matches “{res.q}”.</b> Try fewer or other words, or ask it as a question.</div>
      </div>
    );
  } else {
    let n = -1;
    body = (
      <div className={cx('sp-results', stale && 'is-stale')} ref={list} role="listbox" id={listId} aria-label="Search results">
        {groups.map(g => (
          <section key={g.key || 'none'} className="sp-group" aria-label={g.investor ? g.investor.name : 'Not tied to an investor'}>
            {g.investor ? (
              <a className="sp-group-head" href={'#/grid?investor=' + encodeURIComponent(g.investor.id)} onClick={e => { e.preventDefault(); go('#/grid?investor=' + encodeURIComponent(g.investor.id)); }}
                title={'Open ' + g.investor.name + ' in the grid'} tabIndex={-1}>
                <span className={cx('cm-mark is-xs', 'av-' + (hashStr(g.investor.name || '') % 8))} aria-hidden="true">{initials(g.investor.name)}</span>
                <span className="sp-group-name">{g.investor.name}</span>
                <span className="sp-group-go">Open<Icon name="chevron-right" /></span>
              </a>
            ) : <div className="sp-group-head is-none"><span className="cm-mark is-xs is-none" aria-hidden="true"><Icon name="inbox" /></span><span className="sp-group-name">Not tied to an investor</span></div>}
            {g.hits.map(h => {
              n += 1;
              const i = n;
              const on = i === active;
              return (
                <a key={h.type + ':' + h.id} href={searchHitHref(h, res.q)} role="option" aria-selected={on ? 'true' : 'false'} data-active={on ? 'true' : undefined}
                  className={cx('sp-hit', on && 'is-active')} tabIndex={-1} data-type={h.type}
                  onMouseMove={() => { if (!on) setActive(i); }} onClick={e => { e.preventDefault(); open(h); }}>
                  <SearchKindIcon type={h.type} />
                  <span className="sp-hit-main">
                    <span className="sp-hit-title">{searchSpans(h.title || (SEARCH_KINDS[h.type] || {}).label || 'Untitled', null, res.q)}</span>
                    {h.snippet && <span className="sp-hit-snip">{searchSpans(...searchSnippet(h), res.q)}</span>}
                  </span>
                  <span className="sp-hit-meta">
                    {h.date && <time dateTime={String(h.date)} title={fmtFull(h.date)}>{searchDate(h.date)}</time>}
                    <Icon name="arrow-right" className="sp-hit-go" />
                  </span>
                </a>
              );
            })}
          </section>
        ))}
      </div>
    );
  }
  const mode = SEARCH_MODES[res.mode];
  return ReactDOM.createPortal(
    <div className="sp-backdrop" onMouseDown={e => { if (e.target === e.currentTarget) onClose(); }}>
      <div className="sp-panel" role="dialog" aria-modal="true" aria-label="Search" ref={box} onKeyDown={onKey}>
        <div className="sp-head">
          {res.loading ? <span className="sp-head-icon"><Spinner /></span> : <Icon name="search" className="sp-head-icon" />}
          <input ref={input} className="sp-input" value={text} onChange={e => setText(e.target.value)} placeholder="Search investors, notes, meetings and mail…"
            aria-label="Search everything" role="combobox" aria-expanded={flat.length ? 'true' : 'false'} aria-controls={listId} aria-autocomplete="list"
            aria-activedescendant={undefined} spellCheck="false" autoComplete="off" enterKeyHint="search" />
          {text && <button type="button" className="icon-btn sp-clear" aria-label="Clear the search" onClick={() => { setText(''); input.current && input.current.focus(); }}><Icon name="x" /></button>}
          <button type="button" className="sp-esc" onClick={onClose} aria-label="Close search"><kbd>Esc</kbd><span className="sp-esc-text">Close</span></button>
        </div>
        <div className="sp-body">{body}</div>
        <div className="sp-foot">
          <span className="sp-keys" aria-hidden="true"><kbd>↑</kbd><kbd>↓</kbd> to move <kbd>↵</kbd> to open</span>
          {mode && <span className="sp-mode" title={mode[1]} data-mode={res.mode}><span className="sp-mode-dot" />{mode[0]}</span>}
          <span className="spacer" />
          <button type="button" className="sp-ask" onClick={ask}><Icon name="sparkles" />Ask a question instead<span aria-hidden="true"> →</span></button>
        </div>
      </div>
    </div>,
    document.body
  );
}

// Mounted once by the frame: the shortcuts, and the palette when open.
function SearchHost() {
  const [open, setOpen] = useState(null);  // null, or {text}
  useEffect(() => {
    const onOpen = e => setOpen({ text: (e.detail && e.detail.text) || '' });
    const onKey = e => {
      if (e.defaultPrevented || e.isComposing || e.altKey) return;
      const mod = e.ctrlKey || e.metaKey;
      const slash = e.key === '/' && !mod && !searchTyping(e.target);
      const k = mod && !e.shiftKey && (e.key === 'k' || e.key === 'K');
      if (!slash && !k) return;
      if (document.querySelector('.sp-backdrop')) { if (k) e.preventDefault(); return; }  // already open
      if (slash && document.querySelector('.modal-backdrop')) return;  // another dialog has the keyboard
      e.preventDefault();
      e.stopPropagation();
      setOpen({ text: '' });
    };
    window.addEventListener(SEARCH_OPEN_EVENT, onOpen);
    window.addEventListener('keydown', onKey, true);  // before the grid's own keys take the `/`
    return () => { window.removeEventListener(SEARCH_OPEN_EVENT, onOpen); window.removeEventListener('keydown', onKey, true); };
  }, []);
  return open ? <SearchPalette initial={open.text} onClose={() => setOpen(null)} /> : null;
}

function SearchTrigger() {
  return (
    <button type="button" className="sp-trigger" onClick={() => openSearchPalette()} aria-label="Search (press / or Ctrl K)" aria-keyshortcuts="/ Control+K Meta+K" title={'Search  ·  /  or  ' + MOD_KEY + ' K'}>
      <Icon name="search" />
      <span className="sp-trigger-text">Search…</span>
      <span className="sp-trigger-keys" aria-hidden="true"><kbd>{MOD_KEY === '⌘' ? '⌘' : 'Ctrl'}</kbd><kbd>K</kbd></span>
    </button>
  );
}

/* ---------- Ask ---------- */
function askColName(c) { return (typeof c === 'string' ? c : String((c && (c.label || c.name || c.key || c.id)) || '')).replace(/^column:/, ''); }
// A plan's field names as headers: "last_contact" -> "Last contact"; grid column names stay as they are.
function askLabel(name) { return /_/.test(name) || /^[a-z]+$/.test(name) ? capitalize(name.replace(/_/g, ' ')) : name; }
function askNorm(name) { return String(name || '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, ''); }
const ASK_ID_COLS = ['investor_id', 'id', 'row_id'];
const ASK_NAME_COLS = ['investor', 'name', 'investor_name'];
const ASK_MONEY_RE = /(amount|commit|committed|commitment|total|sum|capital|usd|eur|\$|target|check|ticket|size)/;

// How each column shows: the id column that links the investor's name (and then is not shown), numbers, dates.
function askLayout(columns, rows) {
  const names = columns.map(askColName);
  const norm = names.map(askNorm);
  const idAt = ASK_ID_COLS.map(k => norm.indexOf(k)).find(i => i >= 0);
  const nameAt = idAt === undefined ? -1 : ASK_NAME_COLS.map(k => norm.indexOf(k)).find(i => i >= 0 && i !== idAt);
  const linkAt = nameAt === undefined || nameAt < 0 ? -1 : nameAt;
  const cols = names.map((name, i) => {
    const vals = rows.map(r => r[i]).filter(v => v !== null && v !== undefined && v !== '');
    const numeric = vals.length > 0 && vals.every(v => typeof v === 'number');
    const dated = !numeric && vals.length > 0 && vals.every(v => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v));
    const typeHint = typeof columns[i] === 'object' && columns[i] ? String(columns[i].type || '') : '';
    return { i, name, numeric: numeric || ['number', 'currency', 'percent', 'fund', 'integer'].includes(typeHint),
      money: ['currency', 'fund'].includes(typeHint) || (numeric && ASK_MONEY_RE.test(norm[i]) && !/count|number|n_|days/.test(norm[i])),
      dated: dated || typeHint === 'date' || typeHint === 'datetime', hidden: linkAt >= 0 && i === idAt };
  });
  return { cols, idAt: idAt === undefined ? -1 : idAt, linkAt };
}

function askDate(v) {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(String(v)) ? new Date(String(v) + 'T00:00:00') : toDate(v);
  if (!d || isNaN(d.getTime())) return String(v);
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

function AskCell({ col, value, investorId }) {
  if (value === null || value === undefined || value === '') return <span className="faint">—</span>;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if (value.id && value.name) return <a className="ask-inv" href={'#/grid?investor=' + encodeURIComponent(value.id)}>{value.name}</a>;
    return <span className="ask-json">{JSON.stringify(value)}</span>;
  }
  if (Array.isArray(value)) return <span className="ask-list">{value.map(v => (v && typeof v === 'object' ? v.name || JSON.stringify(v) : String(v))).join(', ')}</span>;
  if (investorId) return <a className="ask-inv" href={'#/grid?investor=' + encodeURIComponent(investorId)}>{String(value)}</a>;
  if (typeof value === 'number') {
    const text = value.toLocaleString(undefined, { maximumFractionDigits: col.money ? 0 : 2 });
    return <span className="nowrap">{col.money ? '$' + text : text}</span>;
  }
  if (typeof value === 'boolean') return value ? <Icon name="check" className="ask-yes" label="Yes" /> : <span className="faint">No</span>;
  if (col.dated) return <time className="nowrap" dateTime={String(value)} title={fmtFull(value)}>{askDate(value)}</time>;
  if (askNorm(col.name) === 'list') return <span>{listLabel(value)}</span>;  // "follow_up" reads "Follow-up", as in the grid
  return <span>{String(value)}</span>;
}

// Investors' ids by name (the grid's names, when one name is one investor): an answer that lists
// investors by name without their ids still links each to its panel.
function useAskInvestorIds(wanted) {
  const [byName, setByName] = useState(null);
  useEffect(() => {
    if (!wanted) return undefined;
    let live = true;
    loadCommsInvestors().then(list => {
      const m = new Map();
      list.forEach(inv => m.set(inv.name, m.has(inv.name) ? null : inv.id));
      if (live) setByName(m);
    }).catch(() => {});
    return () => { live = false; };
  }, [wanted]);
  return byName;
}

function AskTable({ answer, entity }) {
  const columns = (answer && answer.columns) || [];
  const rows = (answer && answer.rows) || [];
  const L = useMemo(() => askLayout(columns, rows), [columns, rows]);
  const nameAt = L.idAt < 0 && (!entity || entity === 'investors') ? L.cols.findIndex(c => ['name', 'investor', 'investor_name'].includes(askNorm(c.name))) : -1;
  const byName = useAskInvestorIds(nameAt >= 0 && rows.length > 0);
  const linkFor = (c, r) => (c.i === L.linkAt && L.idAt >= 0 ? r[L.idAt] : c.i === nameAt && byName ? byName.get(String(r[nameAt])) || null : null);
  const shown = L.cols.filter(c => !c.hidden);
  if (!columns.length) return <div className="ask-none"><Icon name="info" />The question has no answer to show.</div>;
  return (
    <div className="table-scroll ask-scroll">
      <table className="table ask-table">
        <thead><tr>{shown.map(c => <th key={c.i} className={cx(c.numeric && 'num')} scope="col">{askLabel(c.name)}</th>)}</tr></thead>
        <tbody>
          {!rows.length ? <TableEmpty cols={shown.length || 1} icon="check-circle" title="No investors match">The question was understood; nothing in the grid fits it right now.</TableEmpty>
            : rows.map((r, ri) => (
              <tr key={ri}>
                {shown.map(c => (
                  <td key={c.i} className={cx(c.numeric && 'num')} data-label={askLabel(c.name)}>
                    <AskCell col={c} value={r[c.i]} investorId={linkFor(c, r)} />
                  </td>
                ))}
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}

function AskProgress({ since }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = setInterval(() => setNow(Date.now()), 250); return () => clearInterval(t); }, []);
  const ms = now - since;
  if (ms < ASK_SLOW_MS) return null;
  const secs = Math.floor(ms / 1000);
  return (
    <div className="card ask-progress" role="status" aria-live="polite">
      <Spinner large />
      <div className="ask-progress-text">
        <div className="ask-progress-title">{ms < ASK_PATIENCE_MS ? 'Working out the question…' : 'Still thinking: the local model takes its time on long questions…'}</div>
        <div className="ask-progress-sub">Reading it, planning the query, then running it read-only against the grid{secs >= 2 ? ' · ' + secs + ' s' : ''}</div>
      </div>
      <div className="ask-progress-bar" aria-hidden="true"><span /></div>
    </div>
  );
}

function AskSaveView({ view, question }) {
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(() => String(question || 'Saved question').replace(/[?？]+\s*$/, '').slice(0, 120));
  const [shared, setShared] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState(null);
  const input = useRef(null);
  useEffect(() => { if (open && input.current) { input.current.focus(); input.current.select(); } }, [open]);
  const save = async e => {
    e.preventDefault();
    if (!name.trim()) { setError('Give the view a name.'); return; }
    setPending(true); setError('');
    const body = { name: name.trim().slice(0, 120) };
    ASK_VIEW_KEYS.forEach(k => { if (view[k] !== undefined) body[k] = view[k]; });
    body.shared = shared;
    try {
      const r = await api('/api/fundraising/views', { method: 'POST', body });
      setSaved(r.data);
      toast('View “' + r.data.name + '” saved.');
    } catch (err) { setError(err.message); }
    setPending(false);
  };
  const openView = () => navigate('#/grid?view=' + encodeURIComponent(saved.id));  // the grid opens the view it names
  if (saved) {
    return (
      <div className="ask-saved" role="status">
        <span className="ask-saved-icon"><Icon name="check" /></span>
        <div className="ask-saved-text"><b>Saved as “{saved.name}”.</b> <span>{saved.shared ? 'Everyone on the team sees it in the grid’s views.' : 'It is in your views in the grid.'}</span></div>
        <a className="btn btn-secondary btn-sm ask-open-view" href={'#/grid?view=' + encodeURIComponent(saved.id)} onClick={e => { e.preventDefault(); openView(); }}>
          <Icon name="grid" /><span>Open in the grid</span>
        </a>
      </div>
    );
  }
  if (!open) return <Button icon="layers" onClick={() => setOpen(true)}>Save as view</Button>;
  return (
    <form className="ask-save" onSubmit={save} noValidate aria-label="Save as view">
      <label className="ask-save-field">
        <span className="field-label">View name</span>
        <input ref={input} className="input" value={name} maxLength={120} onChange={e => { setName(e.target.value); setError(''); }} aria-invalid={error ? 'true' : undefined} />
      </label>
      <label className="ask-save-share">
        <input type="checkbox" checked={shared} onChange={e => setShared(e.target.checked)} />
        <span>Share with the team</span>
      </label>
      <div className="ask-save-actions">
        <Button variant="ghost" onClick={() => { setOpen(false); setError(''); }}>Cancel</Button>
        <Button type="submit" variant="primary" icon="check" pending={pending}>Save view</Button>
      </div>
      {error && <div className="ask-save-error"><FormError>{error}</FormError></div>}
    </form>
  );
}

function AskAnswer({ result, question }) {
  const rows = (result.answer && result.answer.rows) || [];
  const llm = result.model === 'llm';
  return (
    <section className="card ask-answer" aria-label="Answer">
      <div className="ask-answer-head">
        <div className="ask-answer-q">
          <span className="ask-answer-label">Answer</span>
          <h2>{question}</h2>
        </div>
        <span className={cx('ask-badge', llm ? 'is-llm' : 'is-template')} title={llm ? 'The box’s own language model read the question and wrote the plan; nothing left this server.' : 'A question the app knows how to answer without a model.'}>
          <Icon name={llm ? 'sparkles' : 'check-circle'} />{llm ? 'Answered by the local model' : 'Built-in question'}
        </span>
      </div>
      {result.explanation && <p className="ask-explain"><Icon name="info" /><span>{result.explanation}</span></p>}
      <AskTable answer={result.answer} entity={result.plan && result.plan.entity} />
      <div className="ask-answer-foot">
        <span className="ask-count">{(result.answer && result.answer.truncated ? 'The first ' : '') + (result.plan && result.plan.entity === 'investors' && !(result.plan.group_by || []).length ? plural(rows.length, 'investor') : plural(rows.length, 'row'))}</span>
        <span className="spacer" />
        {result.view && <AskSaveView key={JSON.stringify(result.view)} view={result.view} question={question} />}
      </div>
      {result.plan && (
        <details className="ask-plan">
          <summary><Icon name="chevron-right" className="ask-plan-chev" />Show the plan</summary>
          <pre className="ask-plan-json">{JSON.stringify(result.plan, null, 2)}</pre>
        </details>
      )}
    </section>
  );
}

function AskPage({ route }) {
  usePageTitle('Ask');
  const fromRoute = route.query.q || '';
  const [text, setText] = useState(fromRoute);
  const [state, setState] = useState({ phase: 'idle' });  // idle | asking | answered | refused | failed
  const seq = useRef(0);
  const box = useRef(null);
  const ask = useCallback(async question => {
    const q = String(question || '').trim();
    if (!q) { box.current && box.current.focus(); return; }
    const my = ++seq.current;
    setText(q);
    setState(s => ({ ...s, phase: 'asking', question: q, since: Date.now() }));
    try {
      const r = await api('/api/ask', { method: 'POST', body: { question: q } });
      if (my === seq.current) setState({ phase: 'answered', question: q, answered: q, result: r.data || {} });
    } catch (err) {
      if (my !== seq.current) return;
      if (err.status === 422) setState({ phase: 'refused', question: q, message: err.message, examples: (err.body && err.body.examples) || ASK_EXAMPLES });
      else setState({ phase: 'failed', question: q, message: err.message });
    }
  }, []);
  useEffect(() => { if (fromRoute) ask(fromRoute); }, [fromRoute]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => () => { seq.current += 1; }, []);
  const submit = e => { e.preventDefault(); ask(text); };
  const onKey = e => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); ask(text); } };
  const asking = state.phase === 'asking';
  const chip = x => <button type="button" key={x} className="ask-chip" onClick={() => ask(x)} disabled={asking}><Icon name="sparkles" />{x}</button>;
  return (
    <div className="page ask-page">
      <div className="page-head">
        <div>
          <h1>Ask</h1>
          <p>Ask about your investors in plain words. The answer is read from the grid, mail and notes on this box, and the plan it ran is shown so you can check it.</p>
        </div>
      </div>
      <form className="card ask-box" onSubmit={submit}>
        <label className="sr-only" htmlFor="ask-question">Your question</label>
        <div className="ask-input-row">
          <Icon name="sparkles" className="ask-input-icon" />
          <textarea id="ask-question" ref={box} className="ask-input" rows={2} value={text} maxLength={1000} autoFocus={!fromRoute}
            onChange={e => setText(e.target.value)} onKeyDown={onKey} placeholder="Who haven’t we contacted in 90 days?" />
        </div>
        <div className="ask-box-foot">
          <div className="ask-chips" aria-label="Example questions">{ASK_EXAMPLES.map(chip)}</div>
          <Button type="submit" variant="primary" icon="arrow-right" pending={asking} disabled={!text.trim()} className="ask-go">Ask</Button>
        </div>
      </form>
      {asking && <AskProgress since={state.since} />}
      {state.phase === 'refused' && (
        <div className="card ask-refused" role="alert">
          <div className="ask-refused-head">
            <span className="ask-refused-icon"><Icon name="alert-circle" /></span>
            <div>
              <div className="ask-refused-title">That question isn’t one it can answer yet</div>
              <div className="ask-refused-msg">{state.message}</div>
            </div>
          </div>
          <div className="ask-refused-try">
            <span className="ask-examples-label">Try one of these</span>
            <div className="ask-chips">{state.examples.map(chip)}</div>
          </div>
        </div>
      )}
      {state.phase === 'failed' && (
        <div className="card"><CenterState icon="alert-triangle" tone="red" title="Couldn’t answer" action={<Button icon="refresh" onClick={() => ask(state.question)}>Try again</Button>}>{state.message}</CenterState></div>
      )}
      {state.result && (state.phase === 'answered' || asking) && <div className={cx(asking && 'ask-stale')}><AskAnswer result={state.result} question={state.answered} /></div>}
      {state.phase === 'idle' && (
        <div className="ask-hint">
          <Icon name="search" />
          <span>Looking for a note or an email rather than a list? <button type="button" className="link-btn" onClick={() => openSearchPalette(text)}>Search everything</button> (press <kbd>/</kbd>)</span>
        </div>
      )}
    </div>
  );
}

registerScreen({ path: '/ask', label: 'Ask', icon: 'sparkles', title: 'Ask', order: 27, Page: AskPage });
