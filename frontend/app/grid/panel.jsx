function FirstRunPanel({ onSample, onScratch }) {
  const [pending, setPending] = useState(null);
  const run = async (which, fn) => { setPending(which); try { await fn(); } finally { setPending(null); } };
  return (
    <div className="welcome">
      <div className="welcome-card">
        <StateIcon icon="grid" tone="indigo" />
        <h1>Welcome to your fundraising grid</h1>
        <p className="lede">One row per investor, one column per fund. Bring your Airtable base across, or explore with a realistic sample of LPs first.</p>
        <div className="welcome-actions">
          <button type="button" className="welcome-opt is-primary" onClick={() => navigate('#/import')} disabled={!!pending}>
            <span className="wo-icon"><Icon name="upload" /></span>
            <span className="wo-title">Import from Airtable CSV</span>
            <span className="wo-text">Export your base as CSV and map its columns. Types are detected for you.</span>
          </button>
          <button type="button" className="welcome-opt" onClick={() => run('sample', onSample)} disabled={!!pending}>
            <span className="wo-icon"><Icon name="sparkles" /></span>
            <span className="wo-title">Load a sample grid {pending === 'sample' && <Spinner />}</span>
            <span className="wo-text">Three funds and about 30 realistic investors you can edit, filter and delete.</span>
          </button>
          <button type="button" className="welcome-opt" onClick={() => run('scratch', onScratch)} disabled={!!pending}>
            <span className="wo-icon"><Icon name="plus" /></span>
            <span className="wo-title">Start from scratch {pending === 'scratch' && <Spinner />}</span>
            <span className="wo-text">Add your first investor and build the columns you need.</span>
          </button>
        </div>
        <div className="welcome-foot"><Icon name="lock" />Your data stays on this server. Press <kbd>?</kbd> in the grid for keyboard shortcuts.</div>
      </div>
    </div>
  );
}

/* ---------- the expanded investor: every field, people, history, notes ---------- */
function InlineEditor({ col, value, onCommit, onCancel }) {
  const ref = useRef(null);
  const outside = useRef(null);
  useEffect(() => {
    const down = e => { if (ref.current && !ref.current.contains(e.target) && outside.current) outside.current(); };
    document.addEventListener('pointerdown', down, true);
    return () => document.removeEventListener('pointerdown', down, true);
  }, []);
  return <div ref={ref} className="rp-inline">{<CellEditor col={col} value={value} seed={null} inline outside={outside} onCommit={onCommit} onCancel={onCancel} />}</div>;
}

function historySentence(h, byId) {
  const col = byId[h.column_id] || { name: h.column_name || 'a field', type: 'text' };
  const fmt = v => { const t = fmtCell(col, v); return t === null ? null : t.length > 48 ? t.slice(0, 47).replace(/\s+$/, '') + '…' : t; };
  if (h.kind === 'row_created') return [{ k: 'txt', text: 'added this investor' }];
  if (h.kind === 'row_archived') return [{ k: 'txt', text: 'archived this investor' }];
  if (h.kind === 'row_restored') return [{ k: 'txt', text: 'restored this investor' }];
  const oldT = fmt(h.old), newT = fmt(h.new);
  const colorOf = v => (typeof v === 'string' ? choiceColor(col, v) : null);
  if (oldT === null && newT === null) return [{ k: 'txt', text: 'touched' }, { k: 'field', text: col.name }];
  if (oldT === null) return [{ k: 'txt', text: 'set' }, { k: 'field', text: col.name }, { k: 'txt', text: 'to' }, { k: 'val', text: newT, color: colorOf(h.new) }];
  if (newT === null) return [{ k: 'txt', text: 'cleared' }, { k: 'field', text: col.name }, { k: 'txt', text: '(was' }, { k: 'val', text: oldT, color: colorOf(h.old) }, { k: 'sep', text: ')' }];
  return [{ k: 'txt', text: 'changed' }, { k: 'field', text: col.name }, { k: 'txt', text: 'from' }, { k: 'val', text: oldT, color: colorOf(h.old) }, { k: 'txt', text: 'to' }, { k: 'val', text: newT, color: colorOf(h.new) }];
}

function RowHistory({ rowId, version, byId }) {
  const [state, setState] = useState({ loading: true, items: [] });
  const [limit, setLimit] = useState(12);
  useEffect(() => {
    let live = true;
    const t = setTimeout(() => {
      api('/api/fundraising/rows/' + encodeURIComponent(rowId) + '/history?limit=200')
        .then(r => { if (live) setState({ loading: false, items: r.data || [] }); })
        .catch(err => { if (live) setState(s => ({ loading: false, items: s.items, error: err.message })); });
    }, 150);
    return () => { live = false; clearTimeout(t); };
  }, [rowId, version]);
  if (state.loading && !state.items.length) return <div className="rp-empty"><Spinner /> Loading history…</div>;
  if (state.error && !state.items.length) return <div className="rp-empty">Couldn’t load the history: {state.error}</div>;
  const items = state.items.filter(h => h.kind !== 'view');
  if (!items.length) return <div className="rp-empty">No changes yet.</div>;
  return (
    <>
      <ul className="hist" aria-label="History">
        {items.slice(0, limit).map(h => (
          <li key={h.seq}>
            {h.by && h.by.type !== 'user' ? <span className="avatar sm av-bot"><Icon name={h.by.type === 'system' ? 'terminal' : 'zap'} /></span> : <Avatar name={(h.by && h.by.name) || '?'} size="sm" />}
            <div className="h-text">
              <span className="h-who">{(h.by && h.by.name) || 'Someone'}</span> <SentenceParts parts={historySentence(h, byId)} /> <span className="h-when">· <Time value={h.at} /></span>
            </div>
          </li>
        ))}
      </ul>
      {items.length > limit && <Button size="sm" variant="ghost" className="hist-more" onClick={() => setLimit(l => l + 25)}>Show {Math.min(25, items.length - limit)} more</Button>}
    </>
  );
}

/* ---------- the investor's timeline: notes, meetings, calls and where each came from ---------- */
// Where an interaction came from, as a badge (the panel's timeline, the admin feed, Settings -> Intake).
const INTERACTION_SOURCES = {
  matrix_intake: ['via Matrix', 'hash', 'Filed from the team’s Matrix room by the intake bot'], gmail: ['via Gmail', 'mail', 'From captured mail'],
  automation: ['by a rule', 'zap', 'Logged by an automation rule'], import: ['imported', 'upload', 'From an import'], api: ['via the API', 'terminal', 'Logged by a script with a service token'],
};
function InteractionSource({ source }) {
  const s = INTERACTION_SOURCES[source];
  if (!s) return source && source !== 'ui' ? <span className="src-badge">{source}</span> : null;
  return <span className={cx('src-badge', 'src-' + source)} title={s[2]}><Icon name={s[1]} />{s[0]}</span>;
}
const TIMELINE_KINDS = { note: ['Note', 'pencil'], email: ['Email', 'mail'], meeting: ['Meeting', 'users'], call: ['Call', 'phone'],
  intake: ['Note', 'pencil'], automation: ['Automation', 'zap'], import: ['Import', 'upload'] };

function InvestorTimeline({ investorId, version }) {
  const [limit, setLimit] = useState(5);
  const [open, setOpen] = useState({});
  const [state] = useAsync(() => api('/api/fundraising/rows/' + encodeURIComponent(investorId) + '/interactions?limit=' + limit)
    .then(r => ({ items: r.data || [], total: r.total || 0 })), [investorId, version, limit]);
  useEffect(() => { setLimit(5); setOpen({}); }, [investorId]);
  const d = state.data;
  return (
    <section className="rp-section" aria-label="Interactions with this investor">
      <div className="rp-h"><span>Timeline</span>{d && d.total > 0 && <span className="rp-mail-n">{d.total.toLocaleString()}</span>}</div>
      {!d ? <div className="rp-empty">{state.error ? 'Couldn’t load the timeline: ' + state.error.message : <><Spinner /> Loading…</>}</div>
        : !d.items.length ? <div className="rp-empty">No notes, meetings or calls logged yet.</div>
        : (
          <>
            <ul className="rp-tl">
              {d.items.map(e => {
                const [label, icon] = TIMELINE_KINDS[e.kind] || [capitalize(e.kind), 'pencil'];
                const long = e.body && e.body.length > 160;
                return (
                  <li key={e.id} className="rp-tl-item" data-source={e.source}>
                    <span className="rp-tl-icon"><Icon name={icon} /></span>
                    <div className="rp-tl-main">
                      <div className="rp-tl-summary">{e.summary}</div>
                      {e.body && <div className={cx('rp-tl-body', long && !open[e.id] && 'is-clamped')}>{e.body}</div>}
                      {long && <button type="button" className="link-btn small" onClick={() => setOpen(o => ({ ...o, [e.id]: !o[e.id] }))}>{open[e.id] ? 'Less' : 'More'}</button>}
                      <div className="rp-tl-meta">
                        <span>{label}</span><span>{(e.by && e.by.name) || 'Someone'}</span><span title={fmtFull(e.occurred_at)}><Time value={e.occurred_at} /></span>
                        <InteractionSource source={e.source} />
                      </div>
                    </div>
                  </li>
                );
              })}
            </ul>
            {d.total > d.items.length && <Button size="sm" variant="ghost" className="hist-more" onClick={() => setLimit(l => l + 20)}>Show {Math.min(20, d.total - d.items.length)} more</Button>}
          </>
        )}
    </section>
  );
}

/* ---------- the investor's mail: latest conversations (Communications has them all) ---------- */
function InvestorMailThread({ threadId }) {
  const [state] = useAsync(() => api('/api/email/threads/' + encodeURIComponent(threadId)).then(r => r.data), [threadId]);
  const t = state.data;
  if (!t) return <div className="rp-mail-body"><div className="rp-empty">{state.error ? 'Couldn’t load this conversation: ' + state.error.message : <><Spinner /> Loading…</>}</div></div>;
  return (
    <ol className="rp-mail-body" aria-label={'Messages in ' + (t.subject || 'this conversation')}>
      {(t.items || []).map(m => (
        <li key={m.id} className="rp-mail-msg">
          <div className="rp-mail-msg-head">
            <MailDirection direction={m.direction} />
            <span className="rp-mail-from">{mailName(m.from) || 'Unknown sender'}</span>
            <time className="rp-mail-when" dateTime={m.sent_at} title={mailDate(m.sent_at)}>{mailShortDate(m.sent_at)}</time>
          </div>
          {m.body_text ? <MailText text={m.body_text} compact /> : <div className="rp-mail-none">{m.matched ? 'No text in this message.' : 'Headers only: not matched to an investor.'}</div>}
        </li>
      ))}
    </ol>
  );
}

// Relationship signals from the investor's mail (who wrote when, never what), whether or not the
// grid has columns for them; the server names each strength's colour.
function InvestorSignals({ investorId }) {
  const [state] = useAsync(() => api('/api/email/signals/' + encodeURIComponent(investorId)).then(r => r.data), [investorId]);
  const s = state.data;
  if (!s || !s.relationship_strength) return null;
  const item = (label, value, title) => (
    <div className="rp-signal" title={title}><span className="rp-signal-k">{label}</span><span className="rp-signal-v">{value}</span></div>
  );
  return (
    <div className="rp-signals" aria-label="Relationship signals">
      {item('Strength', <span className={cx('cv-pill', 'cc-' + (s.strength_color || 'gray'))}>{s.relationship_strength}</span>,
        'From how recently, how often and whether mail goes both ways')}
      {item('From them', s.last_inbound ? <Time value={s.last_inbound} /> : '—', 'Their last email to the team')}
      {item('To them', s.last_outbound ? <Time value={s.last_outbound} /> : '—', 'The team’s last email to them')}
      {item('90 days', plural(s.touches_90d || 0, 'email'), 'Emails either way in the last 90 days')}
      {s.knows_best && item('Knows them best', s.knows_best, 'Who on the team emails them most, recently')}
    </div>
  );
}

function InvestorMailSection({ investorId, investorName, archived }) {
  const [state] = useAsync(() => api('/api/email/threads?investor=' + encodeURIComponent(investorId) + '&limit=5')
    .then(r => ({ items: r.data || [], total: r.total || 0 })), [investorId]);
  const [open, setOpen] = useState(null);
  const [drafts, setDrafts] = useState(0);  // bumped when a draft is saved: the list reads again
  useEffect(() => { setOpen(null); }, [investorId]);
  const d = state.data;
  return (
    <section className="rp-section" aria-label="Email with this investor">
      <div className="rp-h">
        <span>Email</span>{d && d.total > 0 && <span className="rp-mail-n">{d.total.toLocaleString()}</span>}
        <span className="spacer" />
        {!archived && <FollowupDraftButton investorId={investorId} investorName={investorName} variant="ghost" onSaved={() => setDrafts(n => n + 1)} />}
        <a className="rp-mail-all" href={'#/communications?investor=' + encodeURIComponent(investorId)}>All mail<Icon name="chevron-right" /></a>
      </div>
      <InvestorSignals investorId={investorId} />
      <InvestorDrafts investorId={investorId} version={drafts} />
      {!d ? <div className="rp-empty">{state.error ? 'Couldn’t load the mail: ' + state.error.message : <><Spinner /> Loading mail…</>}</div>
        : !d.items.length ? <div className="rp-empty">No mail with this investor yet. <a href="#/settings/email">Import or connect mail</a></div>
        : (
          <ul className="rp-mail">
            {d.items.map(t => (
              <li key={t.id} className={cx('rp-mail-item', open === t.id && 'is-open')}>
                <button type="button" className="rp-mail-row" aria-expanded={open === t.id ? 'true' : 'false'} onClick={() => setOpen(o => (o === t.id ? null : t.id))}>
                  <MailDirection direction={t.last && t.last.direction} />
                  <span className="rp-mail-main">
                    <span className="rp-mail-subject">{t.subject || '(no subject)'}</span>
                    <span className="rp-mail-last">{t.last ? (t.last.from || '') + (t.last.snippet ? ': ' + t.last.snippet : '') : ''}</span>
                  </span>
                  <span className="rp-mail-meta">{t.messages > 1 && <span className="cm-count">{t.messages}</span>}<Time value={t.last_at} /></span>
                </button>
                {open === t.id && <InvestorMailThread threadId={t.id} />}
              </li>
            ))}
          </ul>
        )}
    </section>
  );
}

function RowPanel({ store, rowId, meta, writer, onClose, onStep, onArchive, onRestore }) {
  React.useSyncExternalStore(store.subscribe, store.getRev);
  const row = store.get(rowId);
  const cols = store.columns;
  const byId = store.byId;
  const nameCol = cols.find(c => c.primary);
  const notesCol = cols.find(c => c.field === 'notes');
  const contactsCol = cols.find(c => c.type === 'contacts');
  const [editing, setEditing] = useState(null);
  const [name, setName] = useState(row && nameCol ? row.values[nameCol.id] || '' : '');
  const [notes, setNotes] = useState(row && notesCol ? row.values[notesCol.id] || '' : '');
  const [menuAnchor, setMenuAnchor] = useState(null);
  const base = useRef(row ? row.version : 0);
  const nameFocused = useRef(false), notesFocused = useRef(false);
  useEffect(() => { setEditing(null); }, [rowId]);
  useEffect(() => {
    if (!row) return;
    if (!nameFocused.current && nameCol) setName(row.values[nameCol.id] || '');
    if (!notesFocused.current && notesCol) setNotes(row.values[notesCol.id] || '');
  }, [row, nameCol, notesCol]);
  useEffect(() => {
    const onKey = e => {
      if (e.key === 'Escape' && !editing && !popoverStack.length && !document.querySelector('.modal-backdrop')) { e.preventDefault(); onClose(); }
      if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && (e.altKey || e.ctrlKey) && !editing) { e.preventDefault(); onStep(e.key === 'ArrowDown' ? 1 : -1); }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [editing, onClose, onStep]);
  if (!row) return null;
  const save = (col, value) => writer.write([{ rowId, colId: col.id, value, base: row.version }], { label: 'panel' });
  const title = (nameCol && row.values[nameCol.id]) || 'Untitled investor';
  const listCol = cols.find(c => c.field === 'list');
  const statusCol = cols.find(c => c.name === 'Status' && c.type === 'single_select');
  const fields = cols.filter(c => c !== nameCol && c !== notesCol && c !== contactsCol);
  const people = contactsCol && Array.isArray(row.values[contactsCol.id]) ? row.values[contactsCol.id] : [];
  const ro = !!row.archived_at;
  return ReactDOM.createPortal(
    <>
      <div className="rp-backdrop" onPointerDown={onClose} />
      <aside className="rp" role="dialog" aria-modal="false" aria-label={'Investor: ' + title}>
        <div className="rp-head">
          <span className={cx('rp-mark', 'av-' + (hashStr(title) % 8))}>{initials(title)}</span>
          <div className="rp-title">
            <input className="rp-name" value={name} aria-label="Investor name" placeholder="Untitled investor" readOnly={ro}
              onFocus={() => { nameFocused.current = true; base.current = row.version; }} onChange={e => setName(e.target.value)}
              onBlur={() => { nameFocused.current = false; if (nameCol && name.trim() !== (row.values[nameCol.id] || '')) writer.write([{ rowId, colId: nameCol.id, value: name.trim() || null, base: base.current }]); }}
              onKeyDown={e => { if (e.key === 'Enter') e.currentTarget.blur(); if (e.key === 'Escape') { e.stopPropagation(); setName(row.values[nameCol.id] || ''); setTimeout(() => e.target.blur(), 0); } }} />
            <div className="rp-sub">
              {listCol && row.values[listCol.id] && <ChoiceTag col={listCol} name={row.values[listCol.id]} />}
              {statusCol && row.values[statusCol.id] && <ChoiceTag col={statusCol} name={row.values[statusCol.id]} />}
              <span>{plural(people.length, 'person', 'people')}</span>
            </div>
          </div>
          <div className="rp-actions">
            <button type="button" className="icon-btn" aria-label="Previous investor" title="Previous (Alt+↑)" onClick={() => onStep(-1)}><Icon name="chevron-up" /></button>
            <button type="button" className="icon-btn" aria-label="Next investor" title="Next (Alt+↓)" onClick={() => onStep(1)}><Icon name="chevron-down" /></button>
            <button type="button" className="icon-btn" aria-label="More actions" aria-haspopup="menu" onClick={e => setMenuAnchor(e.currentTarget)}><Icon name="more" /></button>
            <button type="button" className="icon-btn" aria-label="Close" title="Close (Esc)" onClick={onClose}><Icon name="x" /></button>
          </div>
        </div>
        {ro && <div className="rp-banner"><Icon name="archive" /><span>This investor is archived: hidden from the grid and views.</span><Button size="sm" icon="rotate-ccw" onClick={() => onRestore(row)}>Restore</Button></div>}
        {!ro && <DuplicateHint investorId={rowId} />}
        <div className="rp-body">
          <section className="rp-section" aria-label="All fields">
            <div className="rp-fields">
              {fields.map(col => {
                const v = row.values[col.id];
                const editable = !ro && isEditable(col, meta);
                const isEd = editing === col.id;
                let content;
                if (isEd) content = <InlineEditor col={col} value={v} onCancel={() => setEditing(null)} onCommit={val => { setEditing(null); save(col, val); }} />;
                else if (col.type === 'checkbox') content = <span className={cx('cv-check', v && 'is-on')}>{v ? <Icon name="check" /> : null}</span>;
                else content = isEmptyValue(v) ? <span className="empty">{editable ? 'Empty' : '—'}</span> : renderCellContent(col, v);
                const activate = () => { if (!editable) return; if (col.type === 'checkbox') save(col, !v); else setEditing(col.id); };
                return (
                  <React.Fragment key={col.id}>
                    <div className="rp-label" title={col.name}><Icon name={typeMeta(col).icon} /><span>{col.name}</span></div>
                    <div className={cx('rp-value', !editable && 'is-ro', isEd && 'is-editing')} role={editable && !isEd ? 'button' : undefined} tabIndex={editable && !isEd ? 0 : undefined}
                      aria-label={editable && !isEd ? 'Edit ' + col.name : undefined} onClick={isEd ? undefined : activate}
                      onKeyDown={e => { if (!isEd && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); activate(); } }}>
                      {content}
                    </div>
                  </React.Fragment>
                );
              })}
            </div>
          </section>
          {contactsCol && (
            <section className="rp-section" aria-label="People of this investor">
              <div className="rp-h"><span>People</span><span className="spacer" />{!ro && editing !== contactsCol.id && <Button size="sm" variant="ghost" icon="pencil" onClick={() => setEditing(contactsCol.id)}>Edit people</Button>}</div>
              {editing === contactsCol.id ? (
                <InlineEditor col={contactsCol} value={people} onCancel={() => setEditing(null)} onCommit={val => { setEditing(null); save(contactsCol, val); }} />
              ) : people.length ? (
                <div className="rp-people">
                  {people.map((p, i) => (
                    <div className="rp-person" key={p.id || i}>
                      <Avatar name={p.name || p.email} />
                      <div className="pp-main">
                        <div className="pp-name">{p.name || p.email}{p.title && <span className="pp-title">{p.title}</span>}</div>
                        {p.email && <div className="pp-line"><Icon name="mail" /><a href={'mailto:' + p.email}>{p.email}</a></div>}
                        {p.phone && <div className="pp-line"><Icon name="phone" /><a href={'tel:' + p.phone}>{p.phone}</a></div>}
                      </div>
                    </div>
                  ))}
                </div>
              ) : <div className="rp-empty">No people yet. {!ro && <button type="button" className="fb-add" onClick={() => setEditing(contactsCol.id)}><Icon name="user-plus" />Add a person</button>}</div>}
            </section>
          )}
          <InvestorTasks investorId={rowId} investorName={title} archived={ro} />
          <InvestorTimeline investorId={rowId} version={row.version} />
          <InvestorMailSection investorId={rowId} investorName={title} archived={ro} />
          {notesCol && (
            <section className="rp-section" aria-label="Notes about this investor">
              <div className="rp-h"><span>Notes</span></div>
              <textarea className="rp-notes" value={notes} placeholder="Add a note: what they care about, next steps…" aria-label="Notes" readOnly={ro}
                onFocus={() => { notesFocused.current = true; base.current = row.version; }} onChange={e => setNotes(e.target.value)}
                onBlur={() => { notesFocused.current = false; if (notes !== (row.values[notesCol.id] || '')) writer.write([{ rowId, colId: notesCol.id, value: notes.trim() ? notes : null, base: base.current }]); }} />
            </section>
          )}
          <section className="rp-section" aria-label="Change history">
            <div className="rp-h"><span>History</span></div>
            <RowHistory rowId={rowId} version={row.version} byId={byId} />
          </section>
        </div>
      </aside>
      {menuAnchor && (
        <Popover anchor={menuAnchor} onClose={() => setMenuAnchor(null)} menu align="end" label="Investor actions">
          {row.archived_at
            ? <MenuItem icon="rotate-ccw" onClick={() => { setMenuAnchor(null); onRestore(row); }}>Restore investor</MenuItem>
            : <MenuItem icon="archive" danger onClick={() => { setMenuAnchor(null); onArchive(row); }}>Archive investor</MenuItem>}
        </Popover>
      )}
    </>,
    document.body
  );
}

/* ---------- field editor: type, options, formula ---------- */
