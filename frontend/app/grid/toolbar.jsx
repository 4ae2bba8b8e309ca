/* ---------- toolbar popovers ---------- */
function sortLabels(col) {
  const k = col ? col.kind : 'text';
  if (k === 'number') return ['1 → 9', '9 → 1'];
  if (k === 'date') return ['Old → new', 'New → old'];
  if (k === 'checkbox') return ['☐ → ☑', '☑ → ☐'];
  if (k === 'pipeline') return ['Intro → Passed', 'Passed → Intro'];
  if (k === 'single_select' || k === 'multi_select') return ['First → last', 'Last → first'];
  return ['A → Z', 'Z → A'];
}

function SortBuilder({ columns, sort, onChange }) {
  const [dragIndex, setDragIndex] = useState(null);
  const [overIndex, setOverIndex] = useState(null);
  const byId = useMemo(() => Object.fromEntries(columns.map(c => [c.id, c])), [columns]);
  const used = new Set(sort.map(s => s.column_id));
  const available = columns.filter(c => !used.has(c.id));
  const update = (i, patch) => onChange(sort.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const drop = to => {
    if (dragIndex === null || to === dragIndex) return;
    const next = sort.slice();
    const [m] = next.splice(dragIndex, 1);
    next.splice(to > dragIndex ? to - 1 : to, 0, m);
    onChange(next);
  };
  return (
    <div>
      {sort.length === 0 && <div className="sort-empty">No sorts: investors appear in the order they were added.</div>}
      <div className="sort-list" role="list">
        {sort.map((s, i) => {
          const col = byId[s.column_id];
          const [asc, desc] = sortLabels(col);
          return (
            <div key={s.column_id} role="listitem" className={cx('sort-row', dragIndex === i && 'is-dragging', overIndex === i && dragIndex !== null && dragIndex !== i && 'is-drag-over')}
              draggable onDragStart={e => { setDragIndex(i); e.dataTransfer.effectAllowed = 'move'; try { e.dataTransfer.setData('text/plain', String(i)); } catch (err) { /* ignore */ } }}
              onDragOver={e => { e.preventDefault(); setOverIndex(i); }} onDragEnd={() => { setDragIndex(null); setOverIndex(null); }}
              onDrop={e => { e.preventDefault(); drop(i); setDragIndex(null); setOverIndex(null); }}>
              <span className="sort-grip" title="Drag to reorder" aria-hidden="true"><Icon name="grip" /></span>
              <select className="select sort-col" aria-label={'Sort key ' + (i + 1)} value={s.column_id} onChange={e => update(i, { column_id: e.target.value })}>
                {col ? <option value={col.id}>{col.name}</option> : <option value={s.column_id}>Deleted field</option>}
                {available.map(c => <option key={c.id} value={c.id}>{c.name}</option>)}
              </select>
              <div className="seg" role="group" aria-label="Direction">
                <button type="button" className={cx('seg-btn', s.direction !== 'desc' && 'is-on')} aria-pressed={s.direction !== 'desc' ? 'true' : 'false'} onClick={() => update(i, { direction: 'asc' })}>{asc}</button>
                <button type="button" className={cx('seg-btn', s.direction === 'desc' && 'is-on')} aria-pressed={s.direction === 'desc' ? 'true' : 'false'} onClick={() => update(i, { direction: 'desc' })}>{desc}</button>
              </div>
              <button type="button" className="icon-btn" title="Move up" aria-label="Move sort up" disabled={i === 0} onClick={() => { const n = sort.slice(); [n[i - 1], n[i]] = [n[i], n[i - 1]]; onChange(n); }}><Icon name="arrow-up" /></button>
              <button type="button" className="icon-btn" aria-label="Remove sort" title="Remove" onClick={() => onChange(sort.filter((_, j) => j !== i))}><Icon name="x" /></button>
            </div>
          );
        })}
      </div>
      {available.length > 0 && (
        <div className="sort-add">
          <select className="select" aria-label="Add a sort by" value="" onChange={e => { if (e.target.value) onChange([...sort, { column_id: e.target.value, direction: 'asc' }]); }}>
            <option value="">{sort.length ? 'Then by…' : 'Sort by…'}</option>
            {available.map(c => <option key={c.id} value={c.id}>{c.name}</option>)}
          </select>
        </div>
      )}
    </div>
  );
}

function FieldsPanel({ columns, hidden, frozen, onHidden, onFrozen, archived, onRestore, maxFrozen }) {
  const [q, setQ] = useState('');
  const hid = new Set(hidden);
  const list = columns.filter(c => !q.trim() || c.name.toLowerCase().includes(q.trim().toLowerCase()));
  return (
    <>
      <div className="pop-head">Fields<span className="spacer" /><span className="muted">{columns.length - hid.size} of {columns.length} shown</span></div>
      <div className="fields-search"><input className="input" placeholder="Find a field" value={q} onChange={e => setQ(e.target.value)} aria-label="Find a field" data-autofocus="true" /></div>
      <ul className="fields-list">
        {list.map(c => (
          <li key={c.id} className={cx(hid.has(c.id) && 'is-hidden')}>
            <Icon name={typeMeta(c).icon} /><span className="fl-name">{c.name}</span>
            {c.primary ? <span className="fl-tag">Primary</span>
              : <Switch checked={!hid.has(c.id)} label={(hid.has(c.id) ? 'Show ' : 'Hide ') + c.name} onChange={on => onHidden(on ? hidden.filter(x => x !== c.id) : [...hidden, c.id])} />}
          </li>
        ))}
      </ul>
      <div className="pop-foot">
        <button type="button" className="fb-add" onClick={() => onHidden([])}><Icon name="eye" />Show all</button>
        <button type="button" className="fb-add" onClick={() => onHidden(columns.filter(c => !c.primary).map(c => c.id))}><Icon name="eye-off" />Hide all</button>
      </div>
      <div className="fields-foot">
        <Icon name="pin" /><span>Frozen columns</span>
        <div className="stepper" role="group" aria-label="Frozen columns">
          <button type="button" aria-label="Freeze fewer columns" disabled={frozen <= 0} onClick={() => onFrozen(frozen - 1)}><Icon name="minus" /></button>
          <span aria-live="polite">{frozen}</span>
          <button type="button" aria-label="Freeze more columns" disabled={frozen >= maxFrozen} onClick={() => onFrozen(frozen + 1)}><Icon name="plus" /></button>
        </div>
      </div>
      {archived.length > 0 && (
        <div className="fields-archived">
          <div className="menu-label">Deleted fields</div>
          {archived.map(c => <MenuItem key={c.id} icon="rotate-ccw" onClick={() => onRestore(c)}>Restore “{c.name}”</MenuItem>)}
        </div>
      )}
    </>
  );
}

/* ---------- view bar ---------- */
function ViewTab({ view, active, onSelect, onMenu, renaming, onRename }) {
  const [name, setName] = useState(view.name);
  const ref = useRef(null);
  useEffect(() => { if (renaming && ref.current) { ref.current.focus(); ref.current.select(); } setName(view.name); }, [renaming, view.name]);
  if (renaming) {
    const done = save => onRename(save && name.trim() && name.trim() !== view.name ? name.trim() : null);
    return <input ref={ref} className="vtab-input" value={name} onChange={e => setName(e.target.value)} aria-label="View name" maxLength={120}
      onKeyDown={e => { if (e.key === 'Enter') { e.preventDefault(); done(true); } if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); done(false); } }} onBlur={() => done(true)} />;
  }
  return (
    <button type="button" role="tab" aria-selected={active ? 'true' : 'false'} className={cx('vtab', active && 'is-active')} onClick={onSelect}
      onDoubleClick={() => onMenu(null, 'rename')} title={view.shared === false ? 'Personal view: only you can see it' : 'Shared view · ' + (view.owner_name ? 'created by ' + view.owner_name : 'the team')}>
      <Icon name={view.shared === false ? 'lock' : 'grid'} />
      <span>{view.name}</span>
      {active && <span className="vt-menu" role="button" tabIndex={-1} aria-label={'Options for view ' + view.name} onClick={e => { e.stopPropagation(); onMenu(e.currentTarget); }}><Icon name="chevron-down" /></span>}
    </button>
  );
}

function NewViewForm({ onCreate, onClose }) {
  const [name, setName] = useState('');
  const [shared, setShared] = useState(true);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const submit = async e => {
    e.preventDefault();
    if (!name.trim()) { setError('Name the view.'); return; }
    setPending(true);
    try { await onCreate(name.trim(), shared); onClose(); } catch (err) { setError(err.message); setPending(false); }
  };
  return (
    <form onSubmit={submit}>
      <div className="pop-head">New view</div>
      <div className="pop-body stack-16">
        <TextField label="Name" value={name} onChange={v => { setName(v); setError(''); }} error={error} placeholder="e.g. Fund III pipeline" autoFocus maxLength={120} data-autofocus="true" />
        <div className="seg" role="radiogroup" aria-label="Who can see it">
          <button type="button" role="radio" aria-checked={shared ? 'true' : 'false'} className={cx('seg-btn', shared && 'is-on')} onClick={() => setShared(true)}><Icon name="users" size={13} /> Shared with the team</button>
          <button type="button" role="radio" aria-checked={!shared ? 'true' : 'false'} className={cx('seg-btn', !shared && 'is-on')} onClick={() => setShared(false)}><Icon name="lock" size={13} /> Personal</button>
        </div>
      </div>
      <div className="pop-foot"><span className="spacer" /><Button size="sm" onClick={onClose}>Cancel</Button><Button size="sm" type="submit" variant="primary" pending={pending}>Create view</Button></div>
    </form>
  );
}

/* ---------- presence in the top bar ---------- */
function PresenceBar({ peers, me, clientId, live }) {
  const others = [];
  const seen = new Set();
  peers.forEach(p => { if (p.client_id !== clientId && p.user_id !== me.id && !seen.has(p.user_id)) { seen.add(p.user_id); others.push(p); } });
  const label = live === 'live' ? 'Live' : live === 'offline' ? 'Reconnecting…' : '';
  return (
    <div className="presence" aria-label="Who is here">
      {label && <span className={cx('live-dot', live === 'live' && 'is-on', live === 'offline' && 'is-off')} title={live === 'live' ? 'Changes by others appear as they happen' : 'Trying to reach the server'}>{label}</span>}
      <div className="presence-stack">
        {others.slice(0, 5).map(p => (
          <span key={p.user_id} className={cx('pav', p.editing && 'is-editing')} style={{ '--pc': peerColor(p.user_id) }}
            title={p.name + (p.editing ? ' is editing' : ' is viewing the grid')} aria-label={p.name}>{initials(p.name)}</span>
        ))}
      </div>
      {others.length > 5 && <span className="presence-more">+{others.length - 5}</span>}
    </div>
  );
}

/* ---------- conflict ---------- */
function ConflictDialog({ conflict, columnsById, onKeepMine, onUseTheirs }) {
  const c = conflict.conflicts[0] || {};
  const col = columnsById[c.column_id] || {};
  const rowName = (() => { const nameCol = Object.values(columnsById).find(x => x.primary); return nameCol ? conflict.current.values[nameCol.id] : null; })();
  const mine = (() => { for (const g of conflict.list) for (const e of g.edits) if (e.colId === c.column_id) return e.value; return undefined; })();
  const theirs = c.value;
  const fmt = v => (isEmptyValue(v) ? 'empty' : cellText(col, v) || String(v));
  const others = conflict.conflicts.length - 1;
  return (
    <Modal title="Someone else changed this while you were editing" onClose={onUseTheirs}>
      <div className="modal-body">
        <p className="conflict-msg"><b>{c.by || 'Someone'}</b> changed <b>{col.name || 'a field'}</b> to <b>{fmt(theirs)}</b> while you were editing.</p>
        <p className="conflict-sub muted small">{rowName || 'This investor'}{c.at && <> · <Time value={c.at} /></>}{others > 0 && <> · {plural(others, 'other field')} changed too</>}</p>
        <div className="conflict-card">
          <div className="conflict-side theirs"><div className="cs-label"><Icon name="user" size={12} />{c.by || 'Theirs'}</div><div className="cs-val">{fmt(theirs)}</div></div>
          <div className="conflict-side mine"><div className="cs-label"><Icon name="pencil" size={12} />Yours</div><div className="cs-val">{fmt(mine)}</div></div>
        </div>
      </div>
      <div className="modal-foot">
        <Button onClick={onUseTheirs}>Use theirs</Button>
        <Button variant="primary" onClick={onKeepMine} data-autofocus="true">Keep mine</Button>
      </div>
    </Modal>
  );
}

/* ---------- keyboard help ---------- */
const SHORTCUTS = [
  ['Move around', [['Move', ['←', '↑', '→', '↓']], ['Next / previous cell', ['Tab'], ['Shift', 'Tab']], ['First / last row', [MOD_KEY, '↑'], [MOD_KEY, '↓']], ['First / last cell', [MOD_KEY, 'Home'], [MOD_KEY, 'End']],
    ['Select a range', ['Shift', '↑↓←→']], ['Select all', [MOD_KEY, 'A']], ['Search', [MOD_KEY, 'F']]]],
  ['Edit', [['Edit the cell', ['Enter']], ['Save and move down', ['Enter']], ['Cancel editing', ['Esc']], ['Start typing to replace', ['a–z']],
    ['Clear cells (on whole rows: archive)', ['Delete']], ['Toggle a checkbox', ['Space']], ['Fill down', [MOD_KEY, 'D']]]],
  ['Clipboard and history', [['Copy', [MOD_KEY, 'C']], ['Paste (from Excel, Sheets)', [MOD_KEY, 'V']], ['Cut', [MOD_KEY, 'X']], ['Undo', [MOD_KEY, 'Z']], ['Redo', ['Shift', MOD_KEY, 'Z']]]],
  ['Investors', [['Expand the investor', ['Space'], ['Shift', 'Enter']], ['New investor', ['Enter'], '(on the last line)'], ['This help', ['?']]]],
];

function ShortcutsHelp({ onClose }) {
  return (
    <Modal title="Keyboard shortcuts" description="The grid works like a spreadsheet: select with the arrows, type to edit." onClose={onClose} size="lg">
      <div className="modal-body">
        <div className="keys">
          {[SHORTCUTS.slice(0, 2), SHORTCUTS.slice(2)].map((col, ci) => (
            <div className="keys-col" key={ci}>
              {col.map(([section, rows]) => (
                <section key={section}>
                  <h3>{section}</h3>
                  {rows.map(([label, ...combos]) => (
                    <div className="key-row" key={label}>
                      <span>{label}</span>
                      <span className="kk">{combos.map((k, i) => (typeof k === 'string'
                        ? <span key={i} className="faint small">{k}</span>
                        : <React.Fragment key={i}>{i > 0 && <span className="faint small">or</span>}{k.map(x => <kbd key={x}>{x}</kbd>)}</React.Fragment>))}</span>
                    </div>
                  ))}
                </section>
              ))}
            </div>
          ))}
        </div>
      </div>
      <div className="modal-foot"><span className="hint">Press <kbd>?</kbd> any time in the grid</span><Button variant="primary" onClick={onClose}>Got it</Button></div>
    </Modal>
  );
}

/* ---------- first run and the importer placeholder ---------- */
