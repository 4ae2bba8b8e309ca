/* ========================================================================
   Tasks: follow-ups and reminders on investors. The Tasks screen (mine or everyone's, by when
   due: overdue, today, this week, later, no date; or the done ones), a quick-add row, ticking
   done with Undo, inline edits of title, due day and owner; the investor panel's Tasks section
   and the "Follow up in…" picker the panel and the grid's row menu open. Backed by /api/tasks.
   ======================================================================== */
const TK_FOLLOW_UPS = [{ days: 1, label: 'Tomorrow' }, { days: 3, label: 'In 3 days' }, { days: 7, label: 'In 1 week' }, { days: 14, label: 'In 2 weeks' }];
const TK_QUICK_DUES = [{ days: 1, label: 'Tomorrow' }, { days: 3, label: 'In 3 days' }, { days: 7, label: 'Next week' }];
const TK_GROUPS = [
  { id: 'overdue', label: 'Overdue', icon: 'alert-circle' },
  { id: 'today', label: 'Today', icon: 'target' },
  { id: 'week', label: 'This week', icon: 'calendar' },
  { id: 'later', label: 'Later', icon: 'clock' },
  { id: 'none', label: 'No date', icon: 'inbox' },
];
const TK_SOURCES = { intake: ['From chat', 'bot'], automation: ['Automation', 'zap'], pipeline: ['Pipeline', 'kanban'] };
const TK_TITLE_MAX = 300;
const TK_LEAVE_MS = 1400;   // a ticked task stays in view, struck through, this long

function tkDay(iso) { const [y, m, d] = String(iso).slice(0, 10).split('-').map(Number); return { y, m, d }; }
function tkTodayIso() { return diIsoDay(localToday()); }
function tkAddDays(iso, n) { return diIsoDay(diAddDays(tkDay(iso), n)); }
function tkDiff(a, b) { return diOrdinal(tkDay(a)) - diOrdinal(tkDay(b)); }   // days from b to a
function tkDate(iso) { const d = tkDay(iso); return new Date(d.y, d.m - 1, d.d); }
function tkFullDate(iso) { return iso ? tkDate(iso).toLocaleDateString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }) : ''; }
function tkShortDate(iso, today) {
  const d = tkDate(iso);
  return d.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric', ...(tkDay(iso).y !== tkDay(today).y ? { year: 'numeric' } : {}) });
}
// "Today", "Tomorrow", "Friday", "Dec 19", "3 days overdue", "No date"
function tkDueLabel(due, today, done) {
  if (!due) return 'No date';
  const n = tkDiff(due, today);
  if (n === 0) return 'Today';
  if (n === 1) return 'Tomorrow';
  if (n < 0) return done ? tkShortDate(due, today) : n === -1 ? 'Yesterday' : plural(-n, 'day') + ' overdue';
  if (n < 7) return tkDate(due).toLocaleDateString(undefined, { weekday: 'long' });
  return tkDate(due).toLocaleDateString(undefined, { month: 'short', day: 'numeric', ...(tkDay(due).y !== tkDay(today).y ? { year: 'numeric' } : {}) });
}
function tkGroup(t, today) {
  if (!t.due) return 'none';
  const n = tkDiff(t.due, today);
  return n < 0 ? 'overdue' : n === 0 ? 'today' : n <= 7 ? 'week' : 'later';
}
function tkDueTone(t, today) {
  if (t.done || !t.due) return '';
  const n = tkDiff(t.due, today);
  return n < 0 ? 'is-overdue' : n === 0 ? 'is-today' : '';
}

/* ---------- creating a follow-up: the picker the grid's row menu and the panel open ---------- */
async function tkCreate(body) { return (await api('/api/tasks', { method: 'POST', body })).data; }

function tkMadeToast(toast, task, onUndone) {
  const when = task.due ? ' due ' + tkShortDate(task.due, tkTodayIso()) : '';
  toast('Follow-up' + (task.investor_name ? ' with ' + task.investor_name : '') + when, 'success', { action: { label: 'Undo', run: async () => {
    try { await api('/api/tasks/' + encodeURIComponent(task.id), { method: 'DELETE' }); if (onUndone) onUndone(task); toast('Follow-up removed', 'info'); }
    catch (err) { toast('Couldn’t remove it: ' + err.message, 'error'); }
  } } });
}

// "Follow up in…": a title (Follow up with NAME) and when (1, 3, 7, 14 days or a date); creates the
// signed-in person's task on the investor and toasts it (with Undo).
function FollowUpPopover({ anchor, investorId, investorName, onClose, onMade, align }) {
  const toast = useToast();
  const [title, setTitle] = useState('Follow up with ' + (investorName || 'this investor'));
  const [date, setDate] = useState('');
  const [picking, setPicking] = useState(false);
  const [pending, setPending] = useState(null);
  const [error, setError] = useState('');
  const today = tkTodayIso();
  const make = async (key, when) => {
    const t = title.trim();
    if (!t) { setError('Give the task a title.'); return; }
    setPending(key); setError('');
    try {
      const task = await tkCreate({ title: t.slice(0, TK_TITLE_MAX), investor_id: investorId, ...when });
      onClose();
      tkMadeToast(toast, task, onMade);
      if (onMade) onMade(task);
    } catch (err) { setError(err.message); setPending(null); }
  };
  return (
    <Popover anchor={anchor} onClose={onClose} align={align} className="tk-pop" label={'Follow up with ' + (investorName || 'this investor')}>
      <div className="tk-pop-head"><Icon name="bell" /><span>Follow up</span></div>
      <input className="input tk-pop-title" value={title} maxLength={TK_TITLE_MAX} aria-label="Task title" onChange={e => setTitle(e.target.value)}
        onKeyDown={e => { if (e.key === 'Enter') { e.preventDefault(); make(3, { in_days: 3 }); } }} />
      <div className="tk-pop-list" role="group" aria-label="When">
        {TK_FOLLOW_UPS.map((f, i) => (
          <button key={f.days} type="button" className="tk-pop-opt" data-autofocus={i === 0 ? 'true' : undefined} disabled={!!pending}
            onClick={() => make(f.days, { in_days: f.days })}>
            <span className="tk-pop-label">{f.label}</span>
            <span className="tk-pop-date">{pending === f.days ? <Spinner /> : tkShortDate(tkAddDays(today, f.days), today)}</span>
          </button>
        ))}
        {!picking ? (
          <button type="button" className="tk-pop-opt" disabled={!!pending} onClick={() => setPicking(true)}>
            <span className="tk-pop-label"><Icon name="calendar" />Pick a date…</span>
          </button>
        ) : (
          <form className="tk-pop-date-form" onSubmit={e => { e.preventDefault(); if (date) make('date', { due: date }); else setError('Choose a day.'); }}>
            <input type="date" className="input" value={date} min={today} aria-label="Due day" autoFocus onChange={e => setDate(e.target.value)} />
            <Button type="submit" variant="primary" size="sm" pending={pending === 'date'}>Add</Button>
          </form>
        )}
      </div>
      {error && <div className="field-error tk-pop-error"><Icon name="alert-circle" />{error}</div>}
    </Popover>
  );
}

/* ---------- the tick box ---------- */
function TaskCheck({ task, onTick, disabled }) {
  return (
    <label className={cx('tk-check', task.done && 'is-on')} title={task.done ? 'Mark as not done' : 'Mark as done'}>
      <input type="checkbox" checked={!!task.done} disabled={disabled} onChange={e => onTick(task, e.target.checked)}
        aria-label={(task.done ? 'Not done: ' : 'Done: ') + task.title} />
      <span className="tk-box" aria-hidden="true"><Icon name="check" strokeWidth={2.5} /></span>
    </label>
  );
}

// Ticking done (or not) with the server, optimistically; Undo in the toast puts it back.
function useTaskTick(patchLocal, toast) {
  return useCallback(async (task, done, quiet) => {
    patchLocal(task.id, { done, overdue: false, leaving: done });
    try {
      const r = await api('/api/tasks/' + encodeURIComponent(task.id), { method: 'PATCH', body: { done } });
      patchLocal(task.id, { ...r.data, leaving: done });
      if (!quiet) {
        if (done) toast('Done: ' + task.title, 'success', { action: { label: 'Undo', run: () => tickBack(task) } });
        else toast('Reopened: ' + task.title, 'info');
      }
    } catch (err) {
      patchLocal(task.id, { done: task.done, overdue: task.overdue, leaving: false });
      toast('Couldn’t update the task: ' + err.message, 'error');
    }
    async function tickBack(t) {
      patchLocal(t.id, { done: false, leaving: false, overdue: t.overdue });
      try { const r = await api('/api/tasks/' + encodeURIComponent(t.id), { method: 'PATCH', body: { done: false } }); patchLocal(t.id, { ...r.data, leaving: false }); }
      catch (err) { toast('Couldn’t reopen the task: ' + err.message, 'error'); }
    }
  }, [patchLocal, toast]);
}

/* ---------- a list of tasks, kept locally between loads ---------- */
function useTaskList(query) {
  const [state, setState] = useState({ items: [], today: null, mine: null, total: 0, loading: true, error: null });
  const seq = useRef(0);
  const load = useCallback(async quiet => {
    const my = ++seq.current;
    if (!quiet) setState(s => ({ ...s, loading: true, error: null }));
    try {
      const r = await api('/api/tasks?' + query);
      if (my !== seq.current) return;
      setState({ items: r.data || [], today: r.today, mine: r.mine, total: r.total || 0, loading: false, error: null });
    } catch (err) { if (my === seq.current) setState(s => ({ ...s, loading: false, error: err })); }
  }, [query]);
  useEffect(() => { load(); }, [load]);
  const patchLocal = useCallback((id, changes) => setState(s => ({ ...s, items: s.items.map(t => (t.id === id ? { ...t, ...changes } : t)) })), []);
  const removeLocal = useCallback(id => setState(s => ({ ...s, items: s.items.filter(t => t.id !== id), total: Math.max(0, s.total - 1) })), []);
  const addLocal = useCallback(task => setState(s => ({ ...s, items: [task, ...s.items.filter(t => t.id !== task.id)], total: s.total + 1 })), []);
  return { state, load, patchLocal, removeLocal, addLocal };
}

/* ---------- the investor panel's Tasks section ---------- */
function InvestorTasks({ investorId, investorName, archived }) {
  const toast = useToast();
  const list = useTaskList('owner=all&status=open&limit=50&investor_id=' + encodeURIComponent(investorId));
  const { state, patchLocal, load } = list;
  const tick = useTaskTick(patchLocal, toast);
  const [anchor, setAnchor] = useState(null);
  const today = state.today || tkTodayIso();
  const timers = useRef([]);
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
  const onTick = (task, done) => {
    tick(task, done);
    if (done) timers.current.push(setTimeout(() => patchLocal(task.id, { gone: true }), TK_LEAVE_MS));
  };
  const shown = state.items.filter(t => !t.gone || !t.done);
  return (
    <section className="rp-section" aria-label="Tasks for this investor">
      <div className="rp-h"><span>Tasks</span>{shown.length > 0 && <span className="rp-mail-n">{shown.length}</span>}<span className="spacer" />
        {!archived && <Button size="sm" variant="ghost" icon="bell" aria-haspopup="dialog" onClick={e => setAnchor(e.currentTarget)}>Follow up in…</Button>}</div>
      {state.loading && !state.items.length ? <div className="rp-empty"><Spinner /> Loading…</div>
        : state.error ? <div className="rp-empty">Couldn’t load the tasks: {state.error.message}</div>
        : !shown.length ? <div className="rp-empty">No open tasks.{!archived && ' “Follow up in…” sets a reminder for you.'}</div>
        : (
          <ul className="tk-mini">
            {shown.map(t => (
              <li key={t.id} className={cx('tk-mini-row', t.done && 'is-done')}>
                <TaskCheck task={t} onTick={onTick} />
                <div className="tk-mini-main">
                  <div className="tk-mini-title">{t.title}</div>
                  <div className="tk-mini-meta">
                    <span className={cx('tk-due-tag', tkDueTone(t, today))} title={tkFullDate(t.due)}><Icon name="calendar" />{tkDueLabel(t.due, today, t.done)}</span>
                    <span>{t.owner_name || 'Unassigned'}</span>
                    {TK_SOURCES[t.source] && <span>{TK_SOURCES[t.source][0]}</span>}
                  </div>
                </div>
              </li>
            ))}
          </ul>
        )}
      {!archived && shown.length > 0 && <a className="tk-mini-all" href="#/tasks">All tasks</a>}
      {anchor && <FollowUpPopover anchor={anchor} align="end" investorId={investorId} investorName={investorName} onClose={() => setAnchor(null)}
        onMade={() => load(true)} />}
    </section>
  );
}

/* ---------- the due day: a button that opens the shortcuts and a typed day ---------- */
function TaskDuePicker({ today, current, onPick, onClear }) {
  const [text, setText] = useState('');
  const read = text.trim() ? readDateInput(text, false, tkDay(today)) : null;
  return (
    <div className="tk-due-picker">
      <div className="tk-pop-list" role="group" aria-label="Due">
        {[{ days: 0, label: 'Today' }, ...TK_FOLLOW_UPS].map((f, i) => {
          const iso = tkAddDays(today, f.days);
          return (
            <button key={f.days} type="button" className={cx('tk-pop-opt', current === iso && 'is-on')} data-autofocus={i === 0 ? 'true' : undefined} onClick={() => onPick({ due: iso })}>
              <span className="tk-pop-label">{f.label}</span><span className="tk-pop-date">{tkShortDate(iso, today)}</span>
            </button>
          );
        })}
      </div>
      <form className="tk-typed" onSubmit={e => { e.preventDefault(); if (read && read.value) onPick({ due: read.value }); }}>
        <input className="input" value={text} onChange={e => setText(e.target.value)} placeholder="Type a day: fri, 12/20, +10d" aria-label="Type a due day" />
        <div className={cx('tk-typed-read', read && read.error && 'is-bad')} aria-live="polite">{read ? (read.error || '→ ' + read.label) : ' '}</div>
      </form>
      {current && <button type="button" className="tk-pop-opt tk-clear" onClick={onClear}><span className="tk-pop-label"><Icon name="x" />No date</span></button>}
    </div>
  );
}

function TaskDueButton({ task, today, onChange }) {
  const [anchor, setAnchor] = useState(null);
  return (
    <>
      <button type="button" className={cx('tk-due', tkDueTone(task, today), !task.due && 'is-empty')} title={task.due ? tkFullDate(task.due) : 'Set a due day'}
        aria-label={'Due: ' + tkDueLabel(task.due, today, task.done) + '. Change'} aria-haspopup="dialog" disabled={task.done}
        onClick={e => setAnchor(e.currentTarget)}>
        <Icon name="calendar" /><span>{tkDueLabel(task.due, today, task.done)}</span>
      </button>
      {anchor && (
        <Popover anchor={anchor} onClose={() => setAnchor(null)} align="end" className="tk-pop" label={'Due day of ' + task.title}>
          <TaskDuePicker today={today} current={task.due} onPick={body => { setAnchor(null); onChange(task, body); }} onClear={() => { setAnchor(null); onChange(task, { due: null }); }} />
        </Popover>
      )}
    </>
  );
}

/* ---------- one task on the Tasks screen ---------- */
function TaskRow({ task, today, users, me, onTick, onChange, onArchive }) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(task.title);
  useEffect(() => { if (!editing) setTitle(task.title); }, [task.title, editing]);
  const save = () => {
    setEditing(false);
    const t = title.trim();
    if (t && t !== task.title) onChange(task, { title: t });
    else setTitle(task.title);
  };
  const src = TK_SOURCES[task.source];
  const owners = users.filter(u => u.is_active !== false || u.id === task.owner);
  return (
    <li className={cx('tk-row', task.done && 'is-done', task.leaving && 'is-leaving', tkDueTone(task, today))} data-task={task.id}>
      <TaskCheck task={task} onTick={onTick} />
      <div className="tk-main">
        {editing ? (
          <input className="input tk-title-input" value={title} maxLength={TK_TITLE_MAX} autoFocus aria-label="Task title" onChange={e => setTitle(e.target.value)} onBlur={save}
            onKeyDown={e => { if (e.key === 'Enter') { e.preventDefault(); save(); } if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); setTitle(task.title); setEditing(false); } }} />
        ) : (
          <button type="button" className="tk-title" onClick={() => setEditing(true)} title="Edit the title" disabled={task.done}>{task.title}</button>
        )}
        <div className="tk-meta">
          {task.investor_id && <a className="tk-inv" href={'#/grid?investor=' + encodeURIComponent(task.investor_id)} title={'Open ' + (task.investor_name || 'the investor')}><Icon name="landmark" /><span>{task.investor_name || 'Unnamed investor'}</span></a>}
          {task.contact_name && <span className="tk-person"><Icon name="user" />{task.contact_name}</span>}
          {src && <span className="tk-src"><Icon name={src[1]} />{src[0]}</span>}
          {task.done && task.done_at && <span className="tk-done-at">Done <Time value={task.done_at} />{task.done_by ? ' by ' + task.done_by : ''}</span>}
        </div>
      </div>
      <div className="tk-side">
        <TaskDueButton task={task} today={today} onChange={onChange} />
        <select className="select select-sm tk-owner" value={task.owner || ''} aria-label={'Owner of ' + task.title} disabled={task.done}
          onChange={e => onChange(task, { owner: e.target.value || null })}>
          <option value="">Unassigned</option>
          {owners.map(u => <option key={u.id} value={u.id}>{u.id === me ? 'Me' : u.username}</option>)}
          {task.owner && !owners.some(u => u.id === task.owner) && <option value={task.owner}>{task.owner_name || 'Someone'}</option>}
        </select>
        <button type="button" className="icon-btn tk-del" aria-label={'Delete ' + task.title} title="Delete task" onClick={() => onArchive(task)}><Icon name="trash" /></button>
      </div>
    </li>
  );
}

/* ---------- the investor picker of the quick-add row ---------- */
function TaskInvestorPicker({ value, onChange, inputRef }) {
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState([]);
  const [active, setActive] = useState(0);
  const listId = useId();
  useEffect(() => {
    if (!open) return undefined;
    let live = true;
    const t = setTimeout(() => {
      api('/api/fundraising/investors?limit=8&q=' + encodeURIComponent(q.trim())).then(r => { if (live) { setItems(r.data || []); setActive(0); } }, () => {});
    }, 120);
    return () => { live = false; clearTimeout(t); };
  }, [q, open]);
  const choose = inv => { onChange(inv); setQ(''); setOpen(false); };
  if (value) {
    return (
      <div className="tk-inv-chosen">
        <Icon name="landmark" /><span className="tk-inv-name">{value.name}</span>
        <button type="button" className="icon-btn" aria-label={'Remove ' + value.name} onClick={() => { onChange(null); setTimeout(() => inputRef && inputRef.current && inputRef.current.focus(), 0); }}><Icon name="x" /></button>
      </div>
    );
  }
  return (
    <div className="tk-inv-pick">
      <Icon name="landmark" className="tk-inv-icon" />
      <input ref={inputRef} className="input" value={q} placeholder="Investor…" aria-label="Investor" role="combobox" aria-autocomplete="list"
        aria-expanded={open && items.length ? 'true' : 'false'} aria-controls={listId}
        onChange={e => { setQ(e.target.value); setOpen(true); }} onFocus={() => setOpen(true)} onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={e => {
          if (e.key === 'ArrowDown') { e.preventDefault(); setActive(a => Math.min(items.length - 1, a + 1)); }
          else if (e.key === 'ArrowUp') { e.preventDefault(); setActive(a => Math.max(0, a - 1)); }
          else if (e.key === 'Enter' && open && items[active]) { e.preventDefault(); choose(items[active]); }
          else if (e.key === 'Escape') setOpen(false);
        }} />
      {open && items.length > 0 && (
        <ul className="tk-inv-list" role="listbox" id={listId} aria-label="Investors">
          {items.map((inv, i) => (
            <li key={inv.id} role="option" aria-selected={i === active ? 'true' : 'false'} className={cx('tk-inv-opt', i === active && 'is-active')}
              onMouseDown={e => { e.preventDefault(); choose(inv); }} onMouseEnter={() => setActive(i)}>
              <Avatar name={inv.name} size="sm" /><span>{inv.name}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/* ---------- the quick-add row: "Follow up with …", an investor, when ---------- */
function TaskQuickAdd({ today, onAdded }) {
  const toast = useToast();
  const [title, setTitle] = useState('');
  const [investor, setInvestor] = useState(null);
  const [due, setDue] = useState({ days: 1 });
  const [typed, setTyped] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const invRef = useRef(null);
  const titleRef = useRef(null);
  const read = typed.trim() ? readDateInput(typed, false, tkDay(today)) : null;
  const shownTitle = title.trim() || (investor ? 'Follow up with ' + investor.name : '');
  const submit = async e => {
    e.preventDefault();
    if (!shownTitle) { setError('Write what to do, or pick an investor to follow up with.'); titleRef.current && titleRef.current.focus(); return; }
    if (read && read.error) { setError(read.error); return; }
    const when = read && read.value ? { due: read.value } : due && due.days !== undefined ? { in_days: due.days } : {};
    setPending(true); setError('');
    try {
      const task = await tkCreate({ title: shownTitle.slice(0, TK_TITLE_MAX), ...(investor ? { investor_id: investor.id } : {}), ...when });
      onAdded(task);
      toast('Added: ' + task.title + (task.due ? ' · ' + tkDueLabel(task.due, today) : ''), 'success');
      setTitle(''); setInvestor(null); setTyped(''); setDue({ days: 1 });
      titleRef.current && titleRef.current.focus();
    } catch (err) { setError(err.message); }
    setPending(false);
  };
  return (
    <form className="card tk-add" onSubmit={submit} aria-label="Add a task" noValidate>
      <div className="tk-add-row">
        <span className="tk-add-icon" aria-hidden="true"><Icon name="plus" /></span>
        <input ref={titleRef} className="input tk-add-title" value={title} maxLength={TK_TITLE_MAX} onChange={e => { setTitle(e.target.value); setError(''); }}
          placeholder={investor ? 'Follow up with ' + investor.name : 'Follow up with…'} aria-label="What to do" />
        <TaskInvestorPicker value={investor} onChange={inv => { setInvestor(inv); setError(''); }} inputRef={invRef} />
      </div>
      <div className="tk-add-row tk-add-when">
        <div className="seg tk-add-dues" role="group" aria-label="Due">
          {TK_QUICK_DUES.map(d => (
            <button key={d.days} type="button" className={cx('seg-btn', !typed.trim() && due && due.days === d.days && 'is-on')} aria-pressed={!typed.trim() && due && due.days === d.days ? 'true' : 'false'}
              title={tkShortDate(tkAddDays(today, d.days), today)} onClick={() => { setDue({ days: d.days }); setTyped(''); }}>{d.label}</button>
          ))}
          <button type="button" className={cx('seg-btn', !typed.trim() && !due && 'is-on')} aria-pressed={!typed.trim() && !due ? 'true' : 'false'} onClick={() => { setDue(null); setTyped(''); }}>No date</button>
        </div>
        <div className="tk-add-typed">
          <input className={cx('input', read && read.error && 'is-invalid')} value={typed} onChange={e => { setTyped(e.target.value); setError(''); }}
            placeholder="or type: fri, 12/20, +10d" aria-label="Due day, typed" />
          {read && !read.error && <span className="tk-add-read">{read.label}</span>}
        </div>
        <span className="spacer" />
        <Button type="submit" variant="primary" icon="plus" pending={pending}>Add task</Button>
      </div>
      {error && <div className="field-error tk-add-error" role="alert"><Icon name="alert-circle" />{error}</div>}
    </form>
  );
}

/* ---------- the Tasks screen ---------- */
function TasksPage({ user }) {
  usePageTitle('Tasks');
  const toast = useToast();
  const [who, setWho] = useState(() => { try { return window.localStorage.getItem('vcrm.tasks.who') || 'mine'; } catch (e) { return 'mine'; } });
  const [show, setShow] = useState('open');
  useEffect(() => { try { window.localStorage.setItem('vcrm.tasks.who', who); } catch (e) { /* private mode */ } }, [who]);
  const query = 'limit=500&owner=' + (who === 'mine' ? 'me' : 'all') + '&status=' + show;
  const list = useTaskList(query);
  const { state, patchLocal, removeLocal, addLocal, load } = list;
  const [users, setUsers] = useState([]);
  useEffect(() => { api('/api/users').then(r => setUsers(r.data || []), () => {}); }, []);
  const tick = useTaskTick(patchLocal, toast);
  const timers = useRef([]);
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
  const today = state.today || tkTodayIso();
  const onTick = (task, done) => {
    tick(task, done);
    timers.current.push(setTimeout(() => patchLocal(task.id, { leaving: false, moved: true }), TK_LEAVE_MS));
  };
  const onChange = async (task, body) => {
    const before = task;
    patchLocal(task.id, body.due !== undefined ? { due: body.due } : body);
    try {
      const r = await api('/api/tasks/' + encodeURIComponent(task.id), { method: 'PATCH', body });
      patchLocal(task.id, r.data);
      if (who === 'mine' && body.owner !== undefined && r.data.owner !== user.id) {
        toast('Handed to ' + (r.data.owner_name || 'the team') + ': ' + r.data.title, 'info', { action: { label: 'Undo', run: () => onChange(r.data, { owner: before.owner }) } });
      }
    } catch (err) {
      patchLocal(task.id, before);
      toast('Couldn’t save: ' + err.message, 'error');
    }
  };
  const onArchive = async task => {
    removeLocal(task.id);
    try {
      await api('/api/tasks/' + encodeURIComponent(task.id), { method: 'DELETE' });
      toast('Deleted: ' + task.title, 'success', { action: { label: 'Undo', run: async () => {
        try { const r = await api('/api/tasks/' + encodeURIComponent(task.id) + '/restore', { method: 'POST' }); addLocal(r.data); load(true); }
        catch (err) { toast('Couldn’t restore it: ' + err.message, 'error'); }
      } } });
    } catch (err) { addLocal(task); toast('Couldn’t delete: ' + err.message, 'error'); }
  };
  // Open: ticked ones leave after a moment; Done: reopened ones do.
  const visible = state.items.filter(t => !(t.moved && (show === 'open' ? t.done : !t.done)));
  const groups = useMemo(() => {
    const by = {};
    visible.forEach(t => { const g = tkGroup(t, today); (by[g] = by[g] || []).push(t); });
    return TK_GROUPS.filter(g => by[g.id]).map(g => ({ ...g, items: by[g.id] }));
  }, [visible, today]);
  const overdue = visible.filter(t => !t.done && tkGroup(t, today) === 'overdue').length;
  const dueToday = visible.filter(t => !t.done && tkGroup(t, today) === 'today').length;
  const rowProps = { today, users, me: user.id, onTick, onChange, onArchive };
  const open = visible.filter(t => !t.done).length;
  const lede = show === 'done' ? (who === 'mine' ? 'What you ticked off, latest first.' : 'What the team ticked off, latest first.') + ' Untick one to reopen it.'
    : state.loading && !state.items.length ? 'Follow-ups and reminders on your investors.'
    : !open ? 'Nothing open. Add a follow-up below, or from any investor in the grid.'
    : <>{overdue > 0 && <><span className="tk-lede-late">{plural(overdue, 'task')} overdue</span> · </>}{dueToday > 0 && dueToday + ' due today · '}{plural(open, 'open task')}</>;
  return (
    <div className="page tk-page">
      <div className="page-head">
        <div><h1>Tasks</h1><p>{lede}</p></div>
        <div className="actions tk-filters">
          <div className="seg" role="group" aria-label="Whose tasks">
            <button type="button" className={cx('seg-btn', who === 'mine' && 'is-on')} aria-pressed={who === 'mine' ? 'true' : 'false'} onClick={() => setWho('mine')}>My tasks</button>
            <button type="button" className={cx('seg-btn', who === 'all' && 'is-on')} aria-pressed={who === 'all' ? 'true' : 'false'} onClick={() => setWho('all')}>Everyone’s</button>
          </div>
          <div className="seg" role="group" aria-label="Open or done">
            <button type="button" className={cx('seg-btn', show === 'open' && 'is-on')} aria-pressed={show === 'open' ? 'true' : 'false'} onClick={() => setShow('open')}>Open</button>
            <button type="button" className={cx('seg-btn', show === 'done' && 'is-on')} aria-pressed={show === 'done' ? 'true' : 'false'} onClick={() => setShow('done')}>Done</button>
          </div>
        </div>
      </div>
      {show === 'open' && <TaskQuickAdd today={today} onAdded={task => { if (who === 'all' || task.owner === user.id) addLocal(task); }} />}
      {state.error ? <Callout tone="danger" title="Couldn’t load the tasks">{state.error.message} <button type="button" className="link-btn" onClick={() => load()}>Try again</button></Callout>
        : state.loading && !state.items.length ? (
          <div className="card tk-group" aria-hidden="true">
            {[0, 1, 2].map(i => <div key={i} className="tk-row tk-skel"><span className="sk tk-sk-box" /><span className="sk sk-w40" /><span className="spacer" /><span className="sk sk-w30" /></div>)}
          </div>
        ) : !visible.length ? (
          <div className="card tk-empty">
            <CenterState icon={show === 'done' ? 'check-square' : 'check-circle'} tone={show === 'done' ? undefined : 'green'}
              title={show === 'done' ? 'Nothing done yet' : who === 'mine' ? 'You’re all caught up' : 'The team is all caught up'}>
              {show === 'done' ? 'Tasks you tick off show up here.'
                : 'Add a follow-up above, or right-click an investor in the grid and choose “Follow up in…”. The Matrix bot adds them too (“follow up in 3 days”).'}
            </CenterState>
          </div>
        ) : show === 'done' ? (
          <section className="card tk-group" aria-label="Done">
            <ul className="tk-list">{visible.map(t => <TaskRow key={t.id} task={t} {...rowProps} />)}</ul>
          </section>
        ) : groups.map(g => (
          <section key={g.id} className={cx('card tk-group', 'tk-g-' + g.id)} aria-label={g.label}>
            <div className="tk-group-head"><Icon name={g.icon} /><h2>{g.label}</h2><span className="tk-count">{g.items.length}</span></div>
            <ul className="tk-list">{g.items.map(t => <TaskRow key={t.id} task={t} {...rowProps} />)}</ul>
          </section>
        ))}
      {state.total > state.items.length && <div className="muted small tk-more">Showing {state.items.length.toLocaleString()} of {state.total.toLocaleString()} tasks.</div>}
    </div>
  );
}

registerScreen({ path: '/tasks', label: 'Tasks', icon: 'check-square', title: 'Tasks', order: 35, section: 'Workspace', Page: TasksPage });
