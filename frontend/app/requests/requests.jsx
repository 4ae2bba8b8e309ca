/* ========================================================================
   Requests: what the team asks of the CRM itself. Anyone files one and edits it while it is
   new; admins set its status (new, planned, done, declined) with an optional note; the author
   or an admin archives it (with Undo). Backed by /api/feature-requests.
   ======================================================================== */
const FR_PAGE = 30;
const FR_STATUSES = [
  { id: 'new', label: 'New', tone: 'blue', icon: 'inbox', empty: 'Nothing new waiting for a decision.' },
  { id: 'planned', label: 'Planned', tone: 'indigo', icon: 'calendar', empty: 'Nothing is planned yet.' },
  { id: 'done', label: 'Done', tone: 'green', icon: 'check-circle', empty: 'Nothing has shipped from here yet.' },
  { id: 'declined', label: 'Declined', tone: 'red', icon: 'x-circle', empty: 'No request has been declined.' },
];
const FR_FILTERS = [{ id: 'all', label: 'All' }, ...FR_STATUSES];
const FR_TITLE_MAX = 200;
const FR_DETAILS_MAX = 10000;
const FR_NOTE_MAX = 2000;
const FR_CLAMP_CHARS = 360;

function frStatus(id) { return FR_STATUSES.find(s => s.id === id) || FR_STATUSES[0]; }

function FrStatusPill({ status }) {
  const s = frStatus(status);
  return <span className={'fr-pill fr-pill-' + s.id}><span className="dot" aria-hidden="true" />{s.label}</span>;
}

// The list of one filter, a page at a time, with the count per status for the filter bar; items
// change in place after an edit (the counts follow) and leave it when archived.
function useRequestList(status) {
  const [state, setState] = useState({ items: [], total: null, counts: null, loading: true, error: null });
  const seq = useRef(0);
  const load = useCallback(async (offset, quiet) => {
    const my = ++seq.current;
    if (!quiet) setState(s => ({ ...s, loading: true, error: null }));
    try {
      const r = await api('/api/feature-requests?status=' + status + '&limit=' + (offset ? FR_PAGE : Math.min(200, Math.max(FR_PAGE, quiet || 0))) + '&offset=' + offset);
      if (my !== seq.current) return;
      setState(s => ({ items: offset ? [...s.items, ...(r.data || [])] : (r.data || []), total: r.total || 0, counts: r.counts || s.counts, loading: false, error: null }));
    } catch (err) {
      if (my === seq.current) setState(s => ({ ...s, loading: false, error: err }));
    }
  }, [status]);
  useEffect(() => { load(0); }, [load]);
  const replace = useCallback((item, before) => setState(s => {
    const counts = s.counts && before && before.status !== item.status
      ? { ...s.counts, [before.status]: Math.max(0, (s.counts[before.status] || 0) - 1), [item.status]: (s.counts[item.status] || 0) + 1 } : s.counts;
    return { ...s, counts, items: s.items.map(x => (x.id === item.id ? item : x)) };
  }), []);
  const remove = useCallback(item => setState(s => ({
    ...s, items: s.items.filter(x => x.id !== item.id), total: Math.max(0, (s.total || 0) - 1),
    counts: s.counts && { ...s.counts, all: Math.max(0, s.counts.all - 1), [item.status]: Math.max(0, (s.counts[item.status] || 0) - 1) },
  })), []);
  const prepend = useCallback(item => setState(s => ({
    ...s, items: status === 'all' || status === item.status ? [item, ...s.items] : s.items,
    total: (s.total || 0) + (status === 'all' || status === item.status ? 1 : 0),
    counts: s.counts && { ...s.counts, all: s.counts.all + 1, [item.status]: (s.counts[item.status] || 0) + 1 },
  })), [status]);
  return { state, load, replace, remove, prepend };
}

// The form to file a request. On a phone it waits behind one button, so the list stays in view.
function FrNewRequest({ onFiled }) {
  const phone = useMediaQuery('(max-width: 640px)');
  const [open, setOpen] = useState(false);
  if (phone && !open) {
    return (
      <div className="card fr-new fr-new-closed">
        <div className="spacer"><div className="fr-new-closed-title">Missing something in the CRM?</div><div className="muted small">File a request: the whole team sees it.</div></div>
        <Button variant="primary" icon="plus" onClick={() => setOpen(true)}>New request</Button>
      </div>
    );
  }
  return <FrNewRequestForm onFiled={item => { onFiled(item); setOpen(false); }} onCancel={phone ? () => setOpen(false) : null} autoFocus={phone} />;
}

function FrNewRequestForm({ onFiled, onCancel, autoFocus }) {
  const toast = useToast();
  const { f, setF, set, errors, setErrors, formError, setFormError, pending, setPending } = useForm({ title: '', details: '' });
  const titleRef = useRef(null);
  const submit = async e => {
    e.preventDefault();
    const title = f.title.trim();
    if (!title) { setErrors({ title: 'Give the request a short title.' }); titleRef.current && titleRef.current.focus(); return; }
    setPending(true); setFormError('');
    try {
      const r = await api('/api/feature-requests', { method: 'POST', body: { title, details: f.details.trim() } });
      onFiled(r.data);
      setF({ title: '', details: '' });
      toast('Request filed. The team can see it now.');
    } catch (err) {
      const field = err.body && err.body.field;
      if (field === 'title' || field === 'details') setErrors({ [field]: err.message });
      else setFormError(err.message);
    }
    setPending(false);
  };
  const left = FR_DETAILS_MAX - f.details.length;
  return (
    <form className="card fr-new" onSubmit={submit} noValidate aria-labelledby="fr-new-title">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="plus" /></span>
        <div className="spacer"><h2 id="fr-new-title">New request</h2><p>What would make the CRM work better for you?</p></div>
      </div>
      <div className="fr-new-body">
        <TextField label="Title" value={f.title} onChange={set('title')} error={errors.title} maxLength={FR_TITLE_MAX}
          placeholder="e.g. Bulk-edit tags on investors" inputRef={titleRef} autoComplete="off" autoFocus={autoFocus} />
        <Field label="Details" optional id="fr-new-details" error={errors.details}
          hint={left < 500 ? left.toLocaleString() + ' characters left' : 'What are you trying to do, and what gets in the way today?'}>
          <textarea id="fr-new-details" className="fr-textarea" rows={5} value={f.details} maxLength={FR_DETAILS_MAX}
            onChange={e => set('details')(e.target.value)} placeholder="The more concrete, the easier it is to plan."
            aria-invalid={errors.details ? 'true' : undefined} />
        </Field>
        {formError && <div className="field"><FormError>{formError}</FormError></div>}
        <div className="fr-new-foot">
          <span className="muted small">The whole team sees it.</span>
          {onCancel && <Button onClick={onCancel}>Cancel</Button>}
          <Button type="submit" variant="primary" icon="send" pending={pending}>File request</Button>
        </div>
      </div>
    </form>
  );
}

function FrEditForm({ item, onSaved, onCancel }) {
  const { f, set, errors, setErrors, formError, setFormError, pending, setPending } = useForm({ title: item.title, details: item.details || '' });
  const submit = async e => {
    e.preventDefault();
    const title = f.title.trim();
    if (!title) { setErrors({ title: 'The title can’t be empty.' }); return; }
    setPending(true); setFormError('');
    try {
      const r = await api('/api/feature-requests/' + encodeURIComponent(item.id), { method: 'PATCH', body: { title, details: f.details.trim() } });
      onSaved(r.data);
    } catch (err) {
      const field = err.body && err.body.field;
      if (err.status !== 409 && (field === 'title' || field === 'details')) setErrors({ [field]: err.message });
      else setFormError(err.message);
      setPending(false);
    }
  };
  return (
    <form className="fr-edit" onSubmit={submit} noValidate>
      <TextField label="Title" value={f.title} onChange={set('title')} error={errors.title} maxLength={FR_TITLE_MAX} autoFocus autoComplete="off" />
      <Field label="Details" optional id={'fr-edit-' + item.id} error={errors.details}>
        <textarea id={'fr-edit-' + item.id} className="fr-textarea" rows={4} value={f.details} maxLength={FR_DETAILS_MAX}
          onChange={e => set('details')(e.target.value)} />
      </Field>
      {formError && <div className="field"><FormError>{formError}</FormError></div>}
      <div className="fr-edit-foot">
        <Button size="sm" onClick={onCancel}>Cancel</Button>
        <Button size="sm" type="submit" variant="primary" pending={pending}>Save changes</Button>
      </div>
    </form>
  );
}

// An admin's decision on a request: the status (saved as it is picked) and an optional note.
function FrDecision({ item, onSaved }) {
  const toast = useToast();
  const [noteOpen, setNoteOpen] = useState(false);
  const [note, setNote] = useState(item.status_note || '');
  const [pending, setPending] = useState('');
  const save = async (body, what) => {
    setPending(what);
    try {
      const r = await api('/api/feature-requests/' + encodeURIComponent(item.id), { method: 'PATCH', body });
      onSaved(r.data);
      return r.data;
    } catch (err) { toast('Couldn’t save: ' + err.message, 'error'); return null; }
    finally { setPending(''); }
  };
  const pick = async status => {
    const saved = await save({ status }, 'status');
    if (saved) toast('“' + saved.title + '” is now ' + frStatus(saved.status).label.toLowerCase() + '.');
  };
  const saveNote = async e => {
    e.preventDefault();
    if (await save({ status_note: note.trim() }, 'note')) setNoteOpen(false);
  };
  const selectId = 'fr-status-' + item.id;
  return (
    <div className="fr-decide">
      <div className="fr-decide-row">
        <label className="fr-decide-label" htmlFor={selectId}><Icon name="shield" />Status</label>
        <select id={selectId} className="select select-sm fr-status-select" value={item.status} disabled={!!pending}
          onChange={e => pick(e.target.value)} aria-label={'Status of “' + item.title + '”'}>
          {FR_STATUSES.map(s => <option key={s.id} value={s.id}>{s.label}</option>)}
        </select>
        {pending === 'status' && <Spinner />}
        {!noteOpen && <Button size="sm" variant="ghost" icon="pencil" onClick={() => { setNote(item.status_note || ''); setNoteOpen(true); }}>
          {item.status_note ? 'Edit note' : 'Add a note'}</Button>}
      </div>
      {noteOpen && (
        <form className="fr-note-form" onSubmit={saveNote}>
          <label className="sr-only" htmlFor={'fr-note-' + item.id}>{'Note on “' + item.title + '”'}</label>
          <textarea id={'fr-note-' + item.id} className="fr-textarea" rows={2} value={note} maxLength={FR_NOTE_MAX} autoFocus
            onChange={e => setNote(e.target.value)} placeholder="Why, or when: the team sees this with the status." />
          <div className="fr-edit-foot">
            <Button size="sm" onClick={() => setNoteOpen(false)}>Cancel</Button>
            <Button size="sm" type="submit" variant="primary" pending={pending === 'note'}>Save note</Button>
          </div>
        </form>
      )}
    </div>
  );
}

function FrItem({ item, user, onSaved, onArchive, archiving }) {
  const [editing, setEditing] = useState(false);
  const [open, setOpen] = useState(false);
  const admin = user.role === 'admin';
  const canEdit = item.mine && item.status === 'new';
  const canArchive = item.mine || admin;
  const details = item.details || '';
  const long = details.length > FR_CLAMP_CHARS || details.split('\n').length > 5;
  const s = frStatus(item.status);
  return (
    <li className={cx('fr-item', 'is-' + item.status)} data-request={item.id}>
      {editing ? <FrEditForm item={item} onCancel={() => setEditing(false)} onSaved={saved => { setEditing(false); onSaved(saved, item); }} /> : (
        <>
          <div className="fr-item-head">
            <h3 className="fr-item-title">{item.title}</h3>
            <FrStatusPill status={item.status} />
          </div>
          {details && <p className={cx('fr-item-details', long && !open && 'is-clamped')}>{details}</p>}
          {long && <button type="button" className="fr-more" onClick={() => setOpen(o => !o)} aria-expanded={open ? 'true' : 'false'}>{open ? 'Show less' : 'Show more'}</button>}
          <div className="fr-item-meta">
            <Avatar name={item.created_by.name} size="sm" />
            <span className="fr-who">{item.created_by.name || 'Someone'}{item.mine && <span className="you">You</span>}</span>
            <span className="fr-dot" aria-hidden="true">·</span>
            <span>filed <Time value={item.created_at} /></span>
            {(canEdit || canArchive) && (
              <span className="fr-item-actions">
                {canEdit && <Button size="sm" variant="ghost" icon="pencil" onClick={() => setEditing(true)} aria-label={'Edit “' + item.title + '”'}>Edit</Button>}
                {canArchive && <Button size="sm" variant="ghost" icon="archive" pending={archiving} onClick={() => onArchive(item)} aria-label={'Archive “' + item.title + '”'}>Archive</Button>}
              </span>
            )}
          </div>
          {(item.status_note || (item.status !== 'new' && item.status_by)) && (
            <div className={'fr-note fr-note-' + item.status}>
              <Icon name={s.icon} />
              <div className="fr-note-body">
                <div className="fr-note-head">{s.label}{item.status_by ? ' by ' + item.status_by : ''}{item.status_at && <> · <Time value={item.status_at} /></>}</div>
                {item.status_note && <div className="fr-note-text">{item.status_note}</div>}
              </div>
            </div>
          )}
          {item.mine && item.status !== 'new' && !admin && <div className="fr-locked muted small"><Icon name="lock" />An admin has decided on it, so it can no longer be edited.</div>}
          {admin && <FrDecision item={item} onSaved={saved => onSaved(saved, item)} />}
        </>
      )}
    </li>
  );
}

function FrFilterBar({ value, counts, onChange }) {
  return (
    <div className="fr-filters" role="tablist" aria-label="Filter requests by status">
      {FR_FILTERS.map(fl => (
        <button key={fl.id} type="button" role="tab" aria-selected={value === fl.id ? 'true' : 'false'}
          className={cx('fr-filter', value === fl.id && 'is-active')} onClick={() => onChange(fl.id)} data-filter={fl.id}>
          {fl.id !== 'all' && <span className={'fr-filter-dot fr-dot-' + fl.id} aria-hidden="true" />}
          <span>{fl.label}</span>
          <span className="count">{counts ? (counts[fl.id] || 0).toLocaleString() : '–'}</span>
        </button>
      ))}
    </div>
  );
}

function FrEmpty({ filter, counts }) {
  if (!counts || !counts.all) {
    return (
      <div className="fr-empty">
        <StateIcon icon="inbox" tone="indigo" />
        <h2>No requests yet</h2>
        <p>Something in the CRM slowing you down, or missing altogether? File it with the form: everyone on the team sees it, and an admin marks it planned, done or declined so you know where it stands.</p>
        <ul className="fr-empty-steps">
          <li><span className="fr-pill fr-pill-new"><span className="dot" />New</span>You file it, and can edit it until it is decided.</li>
          <li><span className="fr-pill fr-pill-planned"><span className="dot" />Planned</span>An admin has put it on the list.</li>
          <li><span className="fr-pill fr-pill-done"><span className="dot" />Done</span>It is in the CRM now.</li>
        </ul>
      </div>
    );
  }
  const s = FR_STATUSES.find(x => x.id === filter);
  return <div className="fr-empty is-small"><StateIcon icon={s ? s.icon : 'inbox'} /><p>{s ? s.empty : 'No requests.'}</p></div>;
}

function FeatureRequestsPage({ user }) {
  usePageTitle('Requests');
  const toast = useToast();
  const [filter, setFilter] = useState('all');
  const { state, load, replace, remove, prepend } = useRequestList(filter);
  const [archiving, setArchiving] = useState({});
  const shown = state.items.length;
  // Back on the tab: the list as it is now (an admin may have decided meanwhile).
  useEffect(() => {
    const onVisible = () => { if (document.visibilityState === 'visible') load(0, shown); };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [load, shown]);
  const archive = async item => {
    setArchiving(a => ({ ...a, [item.id]: true }));
    try {
      await api('/api/feature-requests/' + encodeURIComponent(item.id) + '/archive', { method: 'POST' });
      remove(item);
      toast('Archived “' + item.title + '”.', 'success', { action: { label: 'Undo', run: async () => {
        try { await api('/api/feature-requests/' + encodeURIComponent(item.id) + '/restore', { method: 'POST' }); load(0, shown + 1); toast('Restored “' + item.title + '”.'); }
        catch (err) { toast('Couldn’t restore: ' + err.message, 'error'); }
      } } });
    } catch (err) { toast('Couldn’t archive: ' + err.message, 'error'); }
    setArchiving(a => ({ ...a, [item.id]: false }));
  };
  const first = state.loading && state.total === null;
  return (
    <div className="page fr-page">
      <div className="page-head">
        <div>
          <h1>Feature requests</h1>
          <p>Ask for what would make the CRM better. Anyone on the team can file a request; admins decide what gets planned and say why.</p>
        </div>
      </div>
      <div className="fr-layout">
        <aside className="fr-side"><FrNewRequest onFiled={item => { if (filter !== 'all' && filter !== item.status) setFilter('all'); else prepend(item); }} /></aside>
        <section className="fr-main" aria-label="Requests">
          <div className="fr-toolbar">
            <FrFilterBar value={filter} counts={state.counts} onChange={setFilter} />
            <Button size="sm" variant="ghost" icon="refresh" onClick={() => load(0, shown)} aria-label="Refresh the list" title="Refresh" />
          </div>
          <LoadError error={state.error} onRetry={() => load(0)} />
          <div className="card fr-list-card">
            {first ? (
              <ul className="fr-list" aria-hidden="true">{[0, 1, 2].map(i => <li key={i} className="fr-item"><span className="sk sk-w40" /><span className="sk fr-sk-line" /><span className="sk fr-sk-short" /></li>)}</ul>
            ) : !state.items.length && !state.error ? <FrEmpty filter={filter} counts={state.counts} /> : (
              <ul className="fr-list">
                {state.items.map(item => <FrItem key={item.id} item={item} user={user} onSaved={replace} onArchive={archive} archiving={!!archiving[item.id]} />)}
              </ul>
            )}
            <PagedFoot state={state} load={load} />
          </div>
        </section>
      </div>
    </div>
  );
}

registerScreen({ path: '/requests', label: 'Requests', icon: 'inbox', title: 'Feature requests', order: 90, section: 'Workspace', Page: FeatureRequestsPage });
