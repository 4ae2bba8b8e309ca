/* ---------- cell editors: one per type; the grid floats them over the cell, the side panel
   shows them inline. Each calls onCommit(value, move) or onCancel(); `outside` receives the
   commit to run when someone clicks elsewhere. ---------- */
function useOutsideCommit(outside, commit) {
  const c = useLatest(commit);
  useEffect(() => { if (outside) outside.current = () => c.current(null); }, []); // eslint-disable-line react-hooks/exhaustive-deps
}

function keyMove(e) {
  if (e.key === 'Enter') return e.shiftKey ? 'up' : 'down';
  if (e.key === 'Tab') return e.shiftKey ? 'left' : 'right';
  return null;
}

// A problem under an editor, kept inside the window: a cell near the right edge shows it
// right-aligned rather than cut off.
function EditorMessage({ children }) {
  const ref = useRef(null);
  const [flip, setFlip] = useState(false);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && el.getBoundingClientRect().right > window.innerWidth - 8) setFlip(true);
  }, [children]);
  return <span ref={ref} className={cx('ce-invalid-msg', flip && 'is-flipped')} role="alert">{children}</span>;
}

function TextCellEditor({ col, value, seed, onCommit, onCancel, outside, inline }) {
  const numeric = NUMERIC_TYPES.includes(col.type);
  const [text, setText] = useState(() => (seed !== null && seed !== undefined ? seed : editText(col, value)));
  const [invalid, setInvalid] = useState(false);
  const ref = useRef(null);
  const out = () => {
    if (numeric) return parseNumberInput(text, col.type === 'percent');
    return text.trim() === '' ? null : text;
  };
  const commit = move => {
    const v = out();
    if (v === undefined) { setInvalid(true); if (ref.current) ref.current.select(); return; }
    onCommit(v, move);
  };
  const outsideCommit = () => { const v = out(); if (v === undefined) onCancel(); else onCommit(v, null); };
  useOutsideCommit(outside, outsideCommit);
  useLayoutEffect(() => { const el = ref.current; if (el) { el.focus(); const n = el.value.length; try { el.setSelectionRange(n, n); } catch (e) { /* type without selection */ } } }, []);
  const onKeyDown = e => {
    const mv = keyMove(e);
    if (mv) { e.preventDefault(); commit(inline ? null : mv); return; }
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); onCancel(); return; }
    if (!inline && seed !== null && seed !== undefined && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) { e.preventDefault(); commit(e.key === 'ArrowUp' ? 'up' : 'down'); }
  };
  const placeholder = col.type === 'percent' ? '12.5' : MONEY_TYPES.includes(col.type) ? ((col.options && col.options.symbol) || '$') + '1,250,000' : col.type === 'url' ? 'https://' : col.type === 'email' ? 'name@firm.com' : '';
  return (
    <div className={cx('ce-box', invalid && 'is-invalid')} style={{ height: inline ? undefined : '100%' }}>
      <input ref={ref} className={cx('ce-input', numeric && 'num')} value={text} onChange={e => { setText(e.target.value); setInvalid(false); }} onKeyDown={onKeyDown}
        aria-invalid={invalid ? 'true' : undefined} title={invalid ? (col.type === 'percent' ? 'Enter a percentage, like 12.5' : 'Enter a number, like 1,250,000') : undefined}
        inputMode={numeric ? 'decimal' : col.type === 'email' ? 'email' : col.type === 'url' ? 'url' : col.type === 'phone' ? 'tel' : undefined}
        placeholder={placeholder} aria-label={'Edit ' + col.name} spellCheck={col.type === 'text' ? undefined : 'false'} autoComplete="off" />
      {invalid && <EditorMessage>{col.type === 'percent' ? 'Enter a percentage, like 12.5' : 'Enter a number, like 1,250,000 or 1.25m'}</EditorMessage>}
    </div>
  );
}

function LongTextEditor({ col, value, seed, onCommit, onCancel, outside, inline }) {
  const [text, setText] = useState(() => (seed !== null && seed !== undefined ? seed : (typeof value === 'string' ? value : '')));
  const ref = useRef(null);
  const commit = move => onCommit(text.trim() === '' ? null : text, move);
  useOutsideCommit(outside, commit);
  useLayoutEffect(() => { const el = ref.current; if (el) { el.focus(); el.setSelectionRange(el.value.length, el.value.length); } }, []);
  const onKeyDown = e => {
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey) { e.preventDefault(); commit(inline ? null : 'down'); return; }
    if (e.key === 'Tab') { e.preventDefault(); commit(inline ? null : e.shiftKey ? 'left' : 'right'); return; }
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); onCancel(); }
  };
  return (
    <div className="ce-box">
      <textarea ref={ref} className="ce-textarea" value={text} onChange={e => setText(e.target.value)} onKeyDown={onKeyDown} aria-label={'Edit ' + col.name} />
      <div className="ce-hint"><span><kbd>Enter</kbd> save</span><span><kbd>Shift</kbd>+<kbd>Enter</kbd> new line</span><span><kbd>Esc</kbd> cancel</span></div>
    </div>
  );
}

// A stored date as a person would type it back: 6/14/2026, or 6/14/2026 3:05 PM (local time).
function dateEditText(v, withTime) {
  if (typeof v !== 'string' || !v) return '';
  if (!withTime) { const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(v); return m ? Number(m[2]) + '/' + Number(m[3]) + '/' + m[1] : v; }
  const d = toDate(v);
  if (!d) return v;
  const h = d.getHours() % 12 || 12;
  return (d.getMonth() + 1) + '/' + d.getDate() + '/' + d.getFullYear() + ' ' + h + ':' + String(d.getMinutes()).padStart(2, '0') + (d.getHours() < 12 ? ' AM' : ' PM');
}

const CAL_WEEKDAYS = ['Su', 'Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa'];

// A month of days to click: a convenience beside the typed input, which stays the way in.
function MiniCalendar({ selected, onPick }) {
  const today = localToday();
  const [month, setMonth] = useState(() => { const d = selected || today; return { y: d.y, m: d.m }; });
  useEffect(() => { if (selected) setMonth({ y: selected.y, m: selected.m }); }, [selected && selected.y, selected && selected.m]); // eslint-disable-line react-hooks/exhaustive-deps
  const first = new Date(month.y, month.m - 1, 1);
  const lead = first.getDay(), days = diMonthLength(month.y, month.m);
  const cells = [];
  for (let i = 0; i < lead; i++) cells.push(null);
  for (let d = 1; d <= days; d++) cells.push(d);
  const step = n => setMonth(mo => { const i = mo.y * 12 + mo.m - 1 + n; return { y: Math.floor(i / 12), m: i % 12 + 1 }; });
  const same = (d, day) => day && day.y === month.y && day.m === month.m && day.d === d;
  const keep = e => e.preventDefault();  // the text input keeps the focus
  return (
    <div className="ce-cal" onMouseDown={keep} aria-label="Calendar">
      <div className="ce-cal-head">
        <button type="button" className="btn btn-ghost btn-icon btn-sm" aria-label="Previous month" onClick={() => step(-1)}><Icon name="chevron-left" size={14} /></button>
        <span className="ce-cal-title">{first.toLocaleDateString(undefined, { month: 'long', year: 'numeric' })}</span>
        <button type="button" className="btn btn-ghost btn-icon btn-sm" aria-label="Next month" onClick={() => step(1)}><Icon name="chevron-right" size={14} /></button>
      </div>
      <div className="ce-cal-grid" role="grid">
        {CAL_WEEKDAYS.map(w => <span key={w} className="ce-cal-wd">{w}</span>)}
        {cells.map((d, i) => d === null ? <span key={'b' + i} /> : (
          <button key={d} type="button" className={cx('ce-cal-day', same(d, selected) && 'is-selected', same(d, today) && 'is-today')}
            aria-label={new Date(month.y, month.m - 1, d).toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' })}
            onClick={() => onPick({ y: month.y, m: month.m, d })}>{d}</button>
        ))}
      </div>
    </div>
  );
}

/* Dates are typed like any other cell ("6/14/2026", "June 14", "tomorrow", "+7d"): the line under
   the input says which date that is before it is saved; the calendar is there to click. */
function DateEditor({ col, value, seed, onCommit, onCancel, outside, inline }) {
  const withTime = !!(col.options && col.options.include_time);
  const [text, setText] = useState(() => (seed !== null && seed !== undefined ? seed : dateEditText(value, withTime)));
  const [invalid, setInvalid] = useState(false);
  const ref = useRef(null);
  const reading = readDateInput(text, withTime);
  const commit = move => {
    if (reading.error) { setInvalid(true); if (ref.current) ref.current.select(); return; }
    onCommit(reading.value, move);
  };
  useOutsideCommit(outside, () => { if (reading.error) onCancel(); else onCommit(reading.value, null); });
  useLayoutEffect(() => { const el = ref.current; if (el) { el.focus(); const n = el.value.length; el.setSelectionRange(n, n); } }, []);
  const onKeyDown = e => {
    const mv = keyMove(e);
    if (mv) { e.preventDefault(); commit(inline ? null : mv); return; }
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); onCancel(); }
  };
  const pick = day => {
    const at = withTime && reading.value ? toDate(reading.value) : null;
    const when = withTime ? new Date(day.y, day.m - 1, day.d, at ? at.getHours() : 9, at ? at.getMinutes() : 0) : null;
    onCommit(withTime ? when.toISOString() : diIsoDay(day), null);
  };
  return (
    <>
      <div className={cx('ce-box ce-date', invalid && 'is-invalid')} style={{ height: inline ? 34 : '100%' }}>
        <input ref={ref} className="ce-input" value={text} onChange={e => { setText(e.target.value); setInvalid(false); }} onKeyDown={onKeyDown}
          aria-label={'Edit ' + col.name} aria-invalid={invalid ? 'true' : undefined} aria-describedby={'date-reading-' + col.id}
          placeholder={withTime ? '6/14/2026 3:05 PM' : '6/14/2026, June 14, tomorrow'} autoComplete="off" spellCheck="false" />
      </div>
      <div className="ce-date-pop">
        <div id={'date-reading-' + col.id} className={cx('ce-date-reading', reading.error && 'is-error')} role="status" aria-live="polite">
          {reading.error ? reading.error : reading.value ? <><Icon name="calendar" size={13} /> {reading.label}</> : 'Empty: type a date, or pick one'}
        </div>
        <MiniCalendar selected={reading.day || null} onPick={pick} />
        <div className="ce-date-bar">
          <button type="button" className="btn btn-ghost btn-sm" onMouseDown={e => e.preventDefault()} onClick={() => onCommit(readDateInput(withTime ? 'now' : 'today', withTime).value, null)}>{withTime ? 'Now' : 'Today'}</button>
          <button type="button" className="btn btn-ghost btn-sm" onMouseDown={e => e.preventDefault()} onClick={() => onCommit(null, null)}>Clear</button>
        </div>
      </div>
    </>
  );
}

function useChoiceList(col, query, selected) {
  const choices = columnChoices(col);
  const q = query.trim().toLowerCase();
  const filtered = q ? choices.filter(c => c.name.toLowerCase().includes(q) || choiceLabel(col, c.name).toLowerCase().includes(q))
    .sort((a, b) => (a.name.toLowerCase().startsWith(q) ? 0 : 1) - (b.name.toLowerCase().startsWith(q) ? 0 : 1)) : choices;
  const extra = (selected || []).filter(v => !choices.some(c => c.name === v) && (!q || v.toLowerCase().includes(q))).map(v => ({ name: v, color: 'gray' }));
  const exact = q && [...choices, ...extra].some(c => c.name.toLowerCase() === q || choiceLabel(col, c.name).toLowerCase() === q);
  const canCreate = !!q && !exact && col.field !== 'list' && !(col.options && col.options.allow_new === false);
  return { items: [...filtered, ...extra], canCreate, q: query.trim() };
}

// Hover that follows the pointer only once it really moves: a list opening (or filtering) under a
// resting pointer makes the browser send mouse events that must not steal the keyboard's choice.
function useMovedHover(setHl) {
  const first = useRef(null);
  return i => e => {
    if (!first.current) { first.current = { x: e.clientX, y: e.clientY }; return; }
    if (first.current.x === e.clientX && first.current.y === e.clientY) return;
    first.current = { x: -1, y: -1 };
    setHl(i);
  };
}

function ChoiceOptions({ col, items, canCreate, createName, hl, setHl, isOn, onPick, onCreate, onClear, clearLabel }) {
  const listRef = useRef(null);
  const hover = useMovedHover(i => { if (i !== hl) setHl(i); });
  useEffect(() => { const el = listRef.current && listRef.current.querySelector('.is-hl'); if (el && el.scrollIntoView) el.scrollIntoView({ block: 'nearest' }); }, [hl]);
  const rows = [];
  items.forEach((c, i) => rows.push(
    <button type="button" key={c.name} role="option" aria-selected={isOn(c.name) ? 'true' : 'false'} className={cx('ce-opt', hl === i && 'is-hl')}
      onMouseDown={e => e.preventDefault()} onMouseMove={hover(i)} onClick={() => onPick(c.name)}>
      <span className={cx('cv-pill', 'cc-' + (c.color || 'gray'))}>{choiceLabel(col, c.name)}</span>
      {isOn(c.name) && <Icon name="check" className="ce-check" strokeWidth={2.5} />}
    </button>));
  if (canCreate) rows.push(
    <button type="button" key="__create" className={cx('ce-opt ce-create', hl === items.length && 'is-hl')} onMouseDown={e => e.preventDefault()}
      onMouseMove={hover(items.length)} onClick={onCreate}><Icon name="plus" />Create <b>“{createName}”</b></button>);
  return (
    <div className="ce-drop" role="listbox" ref={listRef} aria-label={col.name + ' options'}>
      {rows.length ? rows : <div className="ce-empty">{columnChoices(col).length ? 'No matching options.' : 'No options yet: type to create one.'}</div>}
      {onClear && <><div className="ce-sep" /><button type="button" className="ce-opt ce-clear" onMouseDown={e => e.preventDefault()} onClick={onClear}>{clearLabel}</button></>}
    </div>
  );
}

function SelectEditor({ col, value, seed, onCommit, onCancel, outside, inline }) {
  const [query, setQuery] = useState(seed || '');
  const { items, canCreate, q } = useChoiceList(col, query, value ? [value] : []);
  const [hl, setHl] = useState(() => { const i = items.findIndex(c => c.name === value); return seed ? 0 : Math.max(0, i); });
  const ref = useRef(null);
  useLayoutEffect(() => { if (ref.current) ref.current.focus(); }, []);
  const total = items.length + (canCreate ? 1 : 0);
  const hlc = Math.max(0, Math.min(hl, total - 1));   // the list may have shrunk since hl was set
  const pickAt = i => (i < items.length ? items[i].name : canCreate && i === items.length ? q : undefined);
  useOutsideCommit(outside, () => onCancel());
  const onKeyDown = e => {
    if (e.key === 'ArrowDown') { e.preventDefault(); setHl(Math.min(total - 1, hlc + 1)); return; }
    if (e.key === 'ArrowUp') { e.preventDefault(); setHl(Math.max(0, hlc - 1)); return; }
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); onCancel(); return; }
    const mv = keyMove(e);
    if (mv) {
      e.preventDefault();
      const v = pickAt(hlc);
      if (v === undefined) { if (!query) onCommit(value === undefined ? null : value, inline ? null : mv); return; }
      onCommit(v, inline ? null : mv);
      return;
    }
    if (e.key === 'Backspace' && !query && value && (e.metaKey || e.ctrlKey)) { e.preventDefault(); onCommit(null, null); }
  };
  return (
    <>
      <div className="ce-box" style={{ height: inline ? undefined : '100%' }}>
        <input ref={ref} className="ce-input" value={query} onChange={e => { setQuery(e.target.value); setHl(0); }} onKeyDown={onKeyDown} placeholder={value ? choiceLabel(col, value) : 'Find an option'}
          aria-label={'Choose ' + col.name} role="combobox" aria-expanded="true" autoComplete="off" spellCheck="false" />
      </div>
      <ChoiceOptions col={col} items={items} canCreate={canCreate} createName={q} hl={hlc} setHl={setHl} isOn={n => n === value}
        onPick={n => onCommit(n, null)} onCreate={() => onCommit(q, null)} onClear={value ? () => onCommit(null, null) : null} clearLabel="Clear" />
    </>
  );
}

function MultiSelectEditor({ col, value, seed, onCommit, onCancel, outside, inline }) {
  const [sel, setSel] = useState(() => (Array.isArray(value) ? value.slice() : []));
  const [query, setQuery] = useState(seed || '');
  const { items, canCreate, q } = useChoiceList(col, query, sel);
  const [hl, setHl] = useState(0);
  const ref = useRef(null);
  useLayoutEffect(() => { if (ref.current) ref.current.focus(); }, []);
  const total = items.length + (canCreate ? 1 : 0);
  const hlc = Math.max(0, Math.min(hl, total - 1));
  const out = () => (sel.length ? sel : null);
  useOutsideCommit(outside, () => onCommit(out(), null));
  const toggle = name => { setSel(s => (s.includes(name) ? s.filter(x => x !== name) : [...s, name])); setQuery(''); setHl(0); if (ref.current) ref.current.focus(); };
  const onKeyDown = e => {
    if (e.key === 'ArrowDown') { e.preventDefault(); setHl(Math.min(total - 1, hlc + 1)); return; }
    if (e.key === 'ArrowUp') { e.preventDefault(); setHl(Math.max(0, hlc - 1)); return; }
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); onCancel(); return; }
    if (e.key === 'Backspace' && !query && sel.length) { e.preventDefault(); setSel(s => s.slice(0, -1)); return; }
    if (e.key === 'Enter' && query) {
      e.preventDefault();
      if (hlc < items.length) toggle(items[hlc].name); else if (canCreate) toggle(q);
      return;
    }
    const mv = keyMove(e);
    if (mv) { e.preventDefault(); onCommit(out(), inline ? null : mv); }
  };
  return (
    <>
      <div className="ce-box ce-multi" onMouseDown={e => { if (e.target === e.currentTarget) { e.preventDefault(); ref.current && ref.current.focus(); } }}>
        {sel.map(name => (
          <span key={name} className={cx('cv-pill', 'cc-' + (choiceColor(col, name) || 'gray'))}>{choiceLabel(col, name)}
            <button type="button" aria-label={'Remove ' + name} onMouseDown={e => e.preventDefault()} onClick={() => toggle(name)}><Icon name="x" /></button>
          </span>
        ))}
        <input ref={ref} value={query} onChange={e => { setQuery(e.target.value); setHl(0); }} onKeyDown={onKeyDown} placeholder={sel.length ? '' : 'Find or create options'}
          aria-label={'Choose ' + col.name} autoComplete="off" spellCheck="false" />
      </div>
      <ChoiceOptions col={col} items={items} canCreate={canCreate} createName={q} hl={hlc} setHl={setHl} isOn={n => sel.includes(n)}
        onPick={toggle} onCreate={() => toggle(q)} onClear={null} />
    </>
  );
}

const PERSON_EDITOR_FIELDS = [['name', 'Name'], ['title', 'Title'], ['email', 'Email'], ['phone', 'Phone']];
let personSeq = 0;

// What is wrong with a person as typed, by field ({} when nothing): the server's rules.
function personProblems(p) {
  const out = {};
  const email = (p.email || '').trim();
  if (email && !EMAIL_RE.test(email)) out.email = 'Not an email address';
  if (!(p.name || '').trim() && !email && ((p.phone || '').trim() || (p.title || '').trim())) out.name = 'Add a name or an email';
  return out;
}

function ContactsEditor({ col, value, seed, onCommit, onCancel, outside }) {
  const [people, setPeople] = useState(() => {
    const list = (Array.isArray(value) ? value : []).map(p => ({ ...p, _k: 'p' + (++personSeq) }));
    if (!list.length || (seed !== null && seed !== undefined)) list.push({ name: seed || '', email: '', phone: '', title: '', _k: 'p' + (++personSeq), _new: true });
    return list;
  });
  const [touched, setTouched] = useState({});  // "key:field" once left, or everything after a Done with problems
  const boxRef = useRef(null);
  const lastNew = people.map(p => p._new).lastIndexOf(true);
  // The editor takes the keyboard when it opens: the newest person's name, else the first person's.
  useLayoutEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const i = lastNew >= 0 ? lastNew : 0;
    const el = box.querySelector('[data-person="' + i + '"] .pf-name');
    if (el) { el.focus(); const n = el.value.length; el.setSelectionRange(n, n); }
  }, [people.length]); // eslint-disable-line react-hooks/exhaustive-deps
  const problems = people.map(personProblems);
  const bad = problems.findIndex(p => Object.keys(p).length);
  const out = () => {
    const list = people.map(p => {
      const o = {};
      ['name', 'email', 'phone', 'title'].forEach(k => { const v = (p[k] || '').trim(); o[k] = v || null; });
      if (p.id) o.id = p.id;
      return o;
    }).filter(p => p.name || p.email || p.phone || p.title);
    return list.length ? list : null;
  };
  // With a problem the edit is kept open and the problem shown, never thrown away.
  const done = () => {
    if (bad >= 0) {
      const all = {};
      people.forEach(p => ['name', 'email'].forEach(f => { all[p._k + ':' + f] = true; }));
      setTouched(t => ({ ...t, ...all }));
      const field = problems[bad].email ? 'email' : 'name';
      const el = boxRef.current && boxRef.current.querySelector('[data-person="' + bad + '"] .pf-' + field);
      if (el) el.focus();
      return;
    }
    onCommit(out(), null);
  };
  useOutsideCommit(outside, done);
  const set = (k, field, v) => setPeople(ps => ps.map(p => (p._k === k ? { ...p, [field]: v } : p)));
  const add = () => setPeople(ps => [...ps, { name: '', email: '', phone: '', title: '', _k: 'p' + (++personSeq), _new: true }]);
  const onKeyDown = e => {
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); onCancel(); return; }
    if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) { e.preventDefault(); done(); }
  };
  return (
    <div ref={boxRef} className="ce-people" onKeyDown={onKeyDown} role="group" aria-label={'Edit ' + col.name}>
      <div className="ce-people-head"><Icon name="users" />People<span className="spacer" /><span className="muted small">{plural(people.filter(p => (p.name || p.email || '').trim()).length, 'person', 'people')}</span></div>
      <div className="ce-people-list">
        {people.map((p, i) => (
          <div className={cx('person-card', Object.keys(problems[i]).some(f => touched[p._k + ':' + f]) && 'has-problem')} key={p._k} data-person={i}>
            <Avatar name={p.name || p.email || '?'} />
            {PERSON_EDITOR_FIELDS.map(([field, label]) => {
              const problem = touched[p._k + ':' + field] && problems[i][field];
              return (
                <span key={field} className={cx('pf', 'pf-cell-' + field)}>
                  <input className={cx('input', 'pf-' + field, field === 'name' && 'pc-name', problem && 'is-invalid')} value={p[field] || ''} placeholder={label}
                    aria-label={label + ' of person ' + (i + 1)} aria-invalid={problem ? 'true' : undefined}
                    onChange={e => set(p._k, field, e.target.value)} onBlur={() => setTouched(t => ({ ...t, [p._k + ':' + field]: true }))}
                    type={field === 'email' ? 'email' : field === 'phone' ? 'tel' : 'text'} autoComplete="off" spellCheck="false" />
                  {problem && <span className="pf-problem" role="alert">{problem}</span>}
                </span>
              );
            })}
            <button type="button" className="icon-btn" aria-label={'Remove person ' + (i + 1)} title="Remove" onClick={() => setPeople(ps => ps.filter(x => x._k !== p._k))}><Icon name="trash" /></button>
          </div>
        ))}
        {!people.length && <div className="ce-people-empty">No people yet.</div>}
      </div>
      <div className="ce-people-foot">
        <Button size="sm" variant="ghost" icon="user-plus" onClick={add}>Add person</Button>
        <span className="spacer" />
        <span className="faint small"><kbd>{MOD_KEY}</kbd>+<kbd>Enter</kbd></span>
        <Button size="sm" onClick={onCancel}>Cancel</Button>
        <Button size="sm" variant="primary" onClick={done}>Done</Button>
      </div>
    </div>
  );
}

function CellEditor(props) {
  switch (props.col.type) {
    case 'long_text': return <LongTextEditor {...props} />;
    case 'date': return <DateEditor {...props} />;
    case 'single_select': return <SelectEditor {...props} />;
    // A pipeline cell edits its stage here (the rest on the board); the server keeps the amounts.
    case 'pipeline': return <SelectEditor {...props} value={props.value && typeof props.value === 'object' ? props.value.stage : props.value} />;
    case 'multi_select': return <MultiSelectEditor {...props} />;
    case 'contacts': return <ContactsEditor {...props} />;
    default: return <TextCellEditor {...props} />;
  }
}

const EDITOR_WIDTH = { long_text: 380, single_select: 240, pipeline: 240, multi_select: 300, contacts: 480, date: 240 };

// The floating editor over a grid cell: follows the cell when the grid scrolls, commits when
// someone clicks elsewhere.
function GridEditorOverlay({ getRect, scrollEl, col, ...props }) {
  const [rect, setRect] = useState(() => getRect());
  const ref = useRef(null);
  const outside = useRef(null);
  const rectFn = useLatest(getRect);
  useEffect(() => {
    const on = () => { const r = rectFn.current(); if (r) setRect(r); };
    const el = scrollEl;
    if (el) el.addEventListener('scroll', on, { passive: true });
    window.addEventListener('resize', on);
    const down = e => { if (ref.current && !ref.current.contains(e.target) && outside.current) outside.current(); };
    document.addEventListener('pointerdown', down, true);
    return () => { if (el) el.removeEventListener('scroll', on); window.removeEventListener('resize', on); document.removeEventListener('pointerdown', down, true); };
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  if (!rect) return null;
  const width = Math.max(rect.width + 2, EDITOR_WIDTH[col.type] || 0, 140);
  const left = Math.max(4, Math.min(rect.left - 1, window.innerWidth - width - 8));
  const style = { left, top: rect.top - 1, width, height: ['long_text', 'contacts', 'multi_select'].includes(col.type) ? undefined : rect.height + 2 };
  if (col.type === 'multi_select') style.minHeight = rect.height + 2;
  return ReactDOM.createPortal(
    <div ref={ref} className="ce" style={style} data-editor={col.id}>
      <CellEditor col={col} outside={outside} {...props} />
    </div>,
    document.body
  );
}
