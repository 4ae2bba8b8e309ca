const ACTIVITY_PAGE = 100;
const ACTIVITY_SOURCES = [
  { id: 'all', label: 'All' },
  { id: 'audit', label: 'Changes', icon: 'history' },
  { id: 'automation', label: 'Automations', icon: 'zap' },
  { id: 'backup', label: 'Backups', icon: 'database' },
];
const ACTION_WORDS = {
  'investor.created': 'added investor', 'investor.updated': 'edited investor', 'investor.archived': 'archived investor', 'investor.restored': 'restored investor',
  'column.created': 'added column', 'column.updated': 'changed column', 'column.archived': 'archived column', 'column.restored': 'restored column',
  'view.created': 'created view', 'view.updated': 'changed view', 'view.archived': 'archived view', 'view.restored': 'restored view',
  'automation.created': 'created rule', 'automation.updated': 'changed rule', 'automation.archived': 'deleted rule', 'automation.restored': 'restored rule',
  'automation.applied': 'applied a rule to', 'automation.run': 'ran the automation rules', 'automation.run_undone': 'undid an automation run', 'import.completed': 'imported a CSV', 'grid.reset': 'reset all data', 'grid.seeded': 'set up the grid',
  'backup.restored': 'restored a backup', 'backup.policy_updated': 'changed the backup schedule', 'interaction.added': 'logged an interaction with',
  'auth.login': 'signed in', 'auth.logout': 'signed out', 'auth.bootstrap': 'set up Venture CRM', 'user.created': 'added user', 'user.updated': 'changed user',
  'user.password_changed': 'changed their password', 'invite.created': 'invited', 'invite.revoked': 'revoked an invitation for', 'invite.accepted': 'accepted an invitation',
  'service_token.created': 'created service token', 'service_token.revoked': 'revoked service token',
  'email.draft_created': 'saved a follow-up draft (in Gmail, unsent) for', 'digest.policy_updated': 'changed the digest schedule',
  'digest.sent': 'sent the digest', 'digest.failed': 'could not send the digest', 'digest.interrupted': 'was cut off sending the digest',
};

const BACKUP_VERBS = { manual: 'took a manual backup', auto: 'took the nightly backup', pre_restore: 'took a backup before restoring',
  pre_reset: 'took a backup before resetting all data', upload: 'uploaded a backup' };
const NAMELESS_ACTIONS = /^(signed|changed their|set up|reset|imported|restored a backup|changed the backup|changed the digest|sent the digest|could not send the digest|was cut off|accepted)/;

function detailName(d, item) {
  if (item && item.entity_name) return item.entity_name;
  if (!d || typeof d !== 'object') return null;
  if (typeof d.name === 'string') return d.name;
  if (d.Name && typeof d.Name === 'object' && 'new' in d.Name) return d.Name.new || d.Name.old;
  if (typeof d.email === 'string') return d.email;
  if (typeof d.username === 'string') return d.username;
  return null;
}

function activityParts(item) {
  const d = item.details && typeof item.details === 'object' ? item.details : {};
  if (item.source === 'backup') {
    const kind = item.action.replace(/^backup\./, '');
    const size = /([\d,]+) bytes/.exec(item.summary || '');
    const v = d.verify;
    return { who: item.by && item.by.name && !isSystemName(item.by.name) ? item.by.name : 'The scheduler', text: BACKUP_VERBS[kind] || 'took a backup',
      extra: [size && fmtBytes(+size[1].replace(/,/g, '')), v && (v.ok ? 'verified ✓' : 'verification failed ✗')].filter(Boolean).join(' · ') };
  }
  if (item.source === 'automation' || item.action === 'automation.applied') {
    const changes = Object.entries(d).filter(([k, v]) => k !== 'trigger' && v && typeof v === 'object' && 'new' in v)
      .map(([k, v]) => k + ': ' + (k === 'List' ? listLabel(v.old) : shortValue(v.old)) + ' → ' + (k === 'List' ? listLabel(v.new) : shortValue(v.new)));
    const m = /^(.*) on (.*)$/.exec(item.summary || '');
    return { who: item.by && item.by.name ? item.by.name.replace(/^Automation:\s*/, '') : 'A rule', text: item.source === 'automation' && m ? 'changed' : 'changed an investor', name: item.source === 'automation' ? (item.entity_name || (m ? m[2] : null)) : null, extra: changes.join(' · ') || (d.error ? 'Error: ' + d.error : null), rule: true };
  }
  const words = ACTION_WORDS[item.action] || (item.summary || item.action);
  const name = detailName(d, item);
  let extra = null;
  if (item.action === 'import.completed') extra = [d.created !== undefined && d.created + ' created', d.updated !== undefined && d.updated + ' updated', d.unchanged !== undefined && d.unchanged + ' unchanged', Array.isArray(d.new_columns) && d.new_columns.length && plural(d.new_columns.length, 'new column')].filter(Boolean).join(' · ');
  else if (item.action === 'investor.updated') extra = Object.entries(d).filter(([, v]) => v && typeof v === 'object' && 'new' in v).slice(0, 3).map(([k, v]) => k + ': ' + shortValue(v)).join(' · ');
  else if (item.action === 'backup.policy_updated') extra = Object.entries(d).map(([k, v]) => k.replace(/_/g, ' ') + ' ' + shortValue(v)).join(' · ');
  else if (item.action === 'backup.restored' && d.pre_restore_backup) extra = 'a pre-restore backup was taken first';
  else if (item.action === 'interaction.added') extra = [d.kind && d.kind !== 'intake' ? capitalize(d.kind) : null, d.summary].filter(Boolean).join(': ') || null;
  const who = (item.by && item.by.name) || (item.by && item.by.type === 'system' ? 'The server' : 'Someone');
  return { who, text: words, name: name && !NAMELESS_ACTIONS.test(words) ? name : null, extra, via: item.action === 'interaction.added' ? d.source : null };
}

function dayLabel(d) {
  const today = new Date(); today.setHours(0, 0, 0, 0);
  const day = new Date(d); day.setHours(0, 0, 0, 0);
  const diff = Math.round((today - day) / 86400000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  return day.toLocaleDateString(undefined, { weekday: 'long', month: 'long', day: 'numeric', year: day.getFullYear() === today.getFullYear() ? undefined : 'numeric' });
}

function ActivityItem({ item }) {
  const p = activityParts(item);
  const icon = item.source === 'backup' ? 'database' : item.source === 'automation' ? 'zap'
    : /archiv|reset/.test(item.action) ? 'archive' : /restor/.test(item.action) ? 'rotate-ccw' : /^import/.test(item.action) ? 'upload'
    : /^auth|^user|^invite/.test(item.action) ? 'user' : /^column/.test(item.action) ? 'layers' : /^view/.test(item.action) ? 'eye' : 'history';
  const tone = item.source === 'backup' ? 'is-green' : item.source === 'automation' ? 'is-amber' : /archiv|reset|revok/.test(item.action) ? 'is-red' : 'is-indigo';
  return (
    <li className={cx('act-item', 'act-' + item.source)}>
      <span className={cx('act-icon', tone)}><Icon name={icon} /></span>
      <div className="act-body">
        <div className="act-line">
          {p.who && <b className={p.rule ? 'act-rule' : ''}>{p.who}</b>}{p.who ? ' ' : ''}{p.text}{p.name && <> <b>{p.name}</b></>}
          {p.via && <> <InteractionSource source={p.via} /></>}
        </div>
        {p.extra && <div className="act-extra">{p.extra}</div>}
      </div>
      <span className="act-source">{(ACTIVITY_SOURCES.find(s => s.id === item.source) || { label: item.source }).label}</span>
      <time className="act-time" title={fmtFull(item.at)} dateTime={item.at}>{(toDate(item.at) || new Date()).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' })}</time>
    </li>
  );
}

function ActivityBurst({ items }) {
  const [open, setOpen] = useState(false);
  const item = items[0];
  const first = activityParts(item);
  const auto = item.source === 'automation';
  const noun = (item.entity_type || 'item').replace(/_rule$/, ' rule').replace(/_/g, ' ');
  const verb = auto ? 'changed' : String(first.text).replace(new RegExp('\\s*' + noun + '$'), '');
  const names = items.map(i => activityParts(i).name).filter(Boolean);
  const lists = {};
  items.forEach(i => { const l = i.details && i.details.List; if (auto && l && typeof l === 'object') { const k = listLabel(l.old) + ' → ' + listLabel(l.new); lists[k] = (lists[k] || 0) + 1; } });
  const moves = Object.entries(lists).map(([k, n]) => 'List: ' + k + (Object.keys(lists).length > 1 ? ' (' + n + ')' : '')).join(' · ');
  const sample = names.slice(0, 3).join(', ') + (names.length > 3 ? ' and ' + (names.length - 3).toLocaleString() + ' more' : '');
  const tone = auto ? 'is-amber' : /archiv|reset|revok/.test(item.action) ? 'is-red' : 'is-indigo';
  return (
    <li className={cx('act-item', 'act-' + item.source, 'act-burst')}>
      <span className={cx('act-icon', tone)}><Icon name={auto ? 'zap' : /^investor/.test(item.action) ? 'users' : 'history'} /></span>
      <div className="act-body">
        <div className="act-line"><b className={auto ? 'act-rule' : ''}>{first.who}</b> {verb} <b>{plural(items.length, noun)}</b>
          <button type="button" className="link-btn act-toggle" aria-expanded={open ? 'true' : 'false'} onClick={() => setOpen(o => !o)}>{open ? 'Hide' : 'Show all'}</button></div>
        <div className="act-extra">{[moves, sample].filter(Boolean).join(' · ')}</div>
        {open && (
          <ul className="act-burst-list">
            {items.map((i, n) => { const p = activityParts(i); return <li key={n}><span className="act-burst-name">{p.name || 'Unnamed ' + noun}</span><span className="act-burst-ch">{p.extra}</span></li>; })}
          </ul>
        )}
      </div>
      <span className="act-source">{(ACTIVITY_SOURCES.find(x => x.id === item.source) || { label: item.source }).label}</span>
      <time className="act-time" title={fmtFull(item.at)} dateTime={item.at}>{(toDate(item.at) || new Date()).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' })}</time>
    </li>
  );
}

function ActivityTab() {
  const [pages, setPages] = useState(1);
  const [source, setSource] = useState('all');
  // "Load older" adds a page; a refresh reads every page shown again, so the timeline stays consistent.
  const [state, reload] = useAsync(async () => {
    const data = [];
    let total = null, counts = {};
    for (let p = 0; p < pages; p++) {
      const r = await api('/api/fundraising/activity?limit=' + ACTIVITY_PAGE + '&offset=' + p * ACTIVITY_PAGE);
      data.push(...(r.data || []));
      total = r.total;
      counts = r.counts || counts;
      if ((r.data || []).length < ACTIVITY_PAGE) break;
    }
    return { data, total, counts };
  }, [pages]);
  const items = (state.data && state.data.data) || [];
  const total = state.data && typeof state.data.total === 'number' ? state.data.total : null;
  // The server leaves out an automation's duplicate audit entry (its run is listed), so the counts
  // below are the server's, for the whole feed, and agree with "of N" in the foot.
  const events = items;
  const shown = source === 'all' ? events : events.filter(i => i.source === source);
  const groups = [];
  shown.forEach(item => {
    const d = toDate(item.at) || new Date(0);
    const key = d.toDateString();
    let g = groups[groups.length - 1];
    if (!g || g.key !== key) { g = { key, label: dayLabel(d), entries: [], n: 0 }; groups.push(g); }
    g.n++;
    // The same kind of event in a row (a rule moving 198 investors, an import adding 300) reads as one line.
    const last = g.entries[g.entries.length - 1];
    const burst = !(item.source === 'automation' || (item.source === 'audit' && /^(investor|column)\./.test(item.action))) ? null : item.source + '|' + (item.source === 'automation' ? '' : item.action) + '|' + ((item.by && item.by.name) || '');
    if (burst && last && last.burst === burst) last.items.push(item);
    else g.entries.push({ burst, items: [item] });
  });
  const counts = (state.data && state.data.counts) || {};
  const more = total !== null ? items.length < total : items.length === ACTIVITY_PAGE * pages;
  return (
    <div>
      <div className="toolbar">
        <div>
          <div className="section-title">Activity</div>
          <div className="muted small">Changes, automation runs and backups in one timeline, newest first.</div>
        </div>
        <span className="spacer" />
        <div className="seg" role="group" aria-label="Show activity from">
          {ACTIVITY_SOURCES.map(s => (
            <button key={s.id} type="button" className={cx('seg-btn', source === s.id && 'is-on')} aria-pressed={source === s.id ? 'true' : 'false'} onClick={() => setSource(s.id)}>
              {s.label}{s.id !== 'all' && counts[s.id] ? <span className="act-n">{counts[s.id].toLocaleString()}</span> : null}
            </button>
          ))}
        </div>
        <Button size="sm" variant="ghost" icon="refresh" onClick={() => reload(true)} aria-label="Refresh" />
      </div>
      <LoadError error={state.error} onRetry={reload} />
      <div className="card act-card">
        {state.loading && !state.data ? <table className="table"><tbody><SkeletonRows cols={3} rows={6} /></tbody></table>
          : shown.length === 0 ? <CenterState icon="history" title={source === 'all' ? 'No activity yet' : 'Nothing from ' + (ACTIVITY_SOURCES.find(s => s.id === source) || {}).label.toLowerCase() + ' in the latest ' + plural(items.length, 'event')}>
              {more ? 'Load older events to look further back.' : 'Events appear here as the team works.'}</CenterState>
          : groups.map(g => (
            <div className="act-day" key={g.key}>
              <div className="act-day-head">{g.label}<span className="act-day-n">{plural(g.n, 'event')}</span></div>
              <ol className="act-list">{g.entries.map((e, i) => (e.items.length > 1
                ? <ActivityBurst key={e.items[0].at + i} items={e.items} />
                : <ActivityItem key={e.items[0].at + i} item={e.items[0]} />))}</ol>
            </div>
          ))}
        <div className="table-foot">
          <span>{items.length ? 'Showing the latest ' + items.length.toLocaleString() + (total !== null ? ' of ' + total.toLocaleString() : '') + ' events' + (source !== 'all' ? ' · ' + shown.length.toLocaleString() + ' from ' + (ACTIVITY_SOURCES.find(s => s.id === source) || {}).label.toLowerCase() : '') : ''}</span>
          <span className="spacer" />
          {more && <Button size="sm" pending={state.loading && !!state.data} onClick={() => setPages(n => n + 1)}>Load older</Button>}
        </div>
      </div>
    </div>
  );
}

/* ---------- Admin: audit log filters ---------- */
const AUDIT_ACTIONS = Object.keys(ACTION_WORDS).sort();
const AUDIT_ENTITY_TYPES = [['investor', 'Investor'], ['column', 'Column'], ['view', 'View'], ['automation_rule', 'Automation rule'], ['grid', 'Grid'],
  ['backup', 'Backup'], ['settings', 'Settings'], ['user', 'User'], ['invite', 'Invitation'], ['service_token', 'Service token']];
const AUDIT_NO_FILTER = { action: '', entity_type: '', entity_id: '', actor_id: '', since: '', until: '' };

function localDayIso(day, plusDays) {
  const m = ISO_DAY_RE.test(day) ? day.split('-').map(Number) : null;
  if (!m) return '';
  return new Date(m[0], m[1] - 1, m[2] + (plusDays || 0)).toISOString();
}

function auditQuery(f) {
  const q = new URLSearchParams();
  if (f.action.trim()) q.set('action', f.action.trim());
  if (f.entity_type) q.set('entity_type', f.entity_type);
  if (f.entity_id) q.set('entity_id', f.entity_id);
  if (f.actor_id) q.set('actor_id', f.actor_id);
  if (f.since) q.set('since', localDayIso(f.since));
  if (f.until) q.set('until', localDayIso(f.until, 1));
  const s = q.toString();
  return s ? '&' + s : '';
}

function AuditFilters({ value, onChange, users }) {
  const [action, setAction] = useState(value.action);
  const latest = useLatest({ value, onChange });
  useEffect(() => { setAction(value.action); }, [value.action]);
  // Typing settles for 400 ms before it filters; Enter filters at once.
  useEffect(() => {
    if (action === latest.current.value.action) return undefined;
    const t = setTimeout(() => { const { value: v, onChange: cb } = latest.current; if (v.action !== action) cb({ ...v, action }); }, 400);
    return () => clearTimeout(t);
  }, [action]); // eslint-disable-line react-hooks/exhaustive-deps
  const set = k => v => onChange({ ...value, [k]: v });
  const active = Object.keys(AUDIT_NO_FILTER).filter(k => value[k]).length;
  return (
    <div className="aud-filters" role="search" aria-label="Filter the audit log">
      <label className="aud-f aud-f-action">
        <span>Action</span>
        <input className="input" list="aud-actions" value={action} placeholder="e.g. investor.archived" onChange={e => setAction(e.target.value)}
          onKeyDown={e => { if (e.key === 'Enter') onChange({ ...value, action }); }} aria-label="Action" spellCheck="false" autoComplete="off" />
        <datalist id="aud-actions">{AUDIT_ACTIONS.map(a => <option key={a} value={a} />)}</datalist>
      </label>
      <label className="aud-f">
        <span>Entity</span>
        <select className="select" value={value.entity_type} onChange={e => set('entity_type')(e.target.value)} aria-label="Entity type">
          <option value="">Any entity</option>
          {AUDIT_ENTITY_TYPES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
        </select>
      </label>
      <label className="aud-f">
        <span>Actor</span>
        <select className="select" value={value.actor_id} onChange={e => set('actor_id')(e.target.value)} aria-label="Actor">
          <option value="">Anyone</option>
          {users.map(u => <option key={u.id} value={u.id}>{u.username}</option>)}
        </select>
      </label>
      <label className="aud-f aud-f-date">
        <span>From</span>
        <input className="input" type="date" value={value.since} max={value.until || undefined} onChange={e => set('since')(e.target.value)} aria-label="From date" />
      </label>
      <label className="aud-f aud-f-date">
        <span>To</span>
        <input className="input" type="date" value={value.until} min={value.since || undefined} onChange={e => set('until')(e.target.value)} aria-label="To date" />
      </label>
      <div className="aud-f aud-f-end">
        {value.entity_id && <span className="aud-chip" title={value.entity_id}>Entity <code>{value.entity_id.slice(0, 8)}</code><button type="button" className="icon-btn" onClick={() => set('entity_id')('')} aria-label="Stop filtering by this entity"><Icon name="x" /></button></span>}
        <Button size="sm" variant="ghost" icon="x" disabled={!active} onClick={() => onChange(AUDIT_NO_FILTER)}>Clear{active ? ' (' + active + ')' : ''}</Button>
      </div>
    </div>
  );
}
