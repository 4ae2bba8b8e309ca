const SETTINGS_TABS = [
  { id: 'backups', label: 'Backups', icon: 'database' },
  { id: 'email', label: 'Email', icon: 'mail' },
  { id: 'intake', label: 'Intake', icon: 'bot', admin: true },
  { id: 'digest', label: 'Digest', icon: 'send', admin: true },
  { id: 'search', label: 'Search', icon: 'search', admin: true },
  { id: 'integrations', label: 'Integrations', icon: 'plug', soon: true },
];

const BACKUP_KINDS = {
  manual: ['Manual', 'indigo'], auto: ['Automatic', 'blue'], pre_restore: ['Before restore', 'amber'],
  pre_reset: ['Before reset', 'red'], upload: ['Uploaded', 'gray'],
};
const VERIFY_CHECKS = { file: 'File present', sha256: 'Checksum matches', integrity: 'SQLite integrity check', row_counts: 'Row counts match' };
const TABLE_LABELS = {
  investors: 'Investors', grid_columns: 'Columns', cell_values: 'Cell values', commitments: 'Fund commitments', funds: 'Funds',
  contacts: 'People', list_memberships: 'List memberships', views: 'Views', automation_rules: 'Automation rules',
  automation_runs: 'Automation runs', interactions: 'Interactions', grid_changes: 'Cell history', audit_log: 'Audit log entries',
  users: 'Users', invites: 'Invitations', service_tokens: 'Service tokens', app_settings: 'Settings', schema_migrations: 'Migrations',
};
const KEY_TABLES = ['investors', 'grid_columns', 'cell_values', 'contacts', 'views', 'automation_rules', 'interactions', 'users'];
const RESTORE_PHRASE = 'RESTORE';
const RESET_PHRASE = 'RESET ALL DATA';
const RESTORED_NOTE_KEY = 'vcrm.restored';

function hourLabel(h) {
  const d = new Date();
  d.setUTCHours(h, 0, 0, 0);
  return d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}
function localIsUtc() { return new Date().getTimezoneOffset() === 0; }
function pad2(n) { return (n < 10 ? '0' : '') + n; }
function nextRun(hour) {
  const now = new Date();
  const d = new Date(now);
  d.setUTCHours(hour, 0, 0, 0);
  if (d <= now) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}

function verifyTitle(v) {
  if (!v) return 'Not verified yet: Verify re-hashes the file, runs an integrity check and compares row counts.';
  const lines = Object.entries(v.checks || {}).filter(([k]) => k !== 'error').map(([k, ok]) => (ok ? '✓ ' : '✗ ') + (VERIFY_CHECKS[k] || k));
  if (v.checks && v.checks.error) lines.push(v.checks.error);
  return lines.join('\n');
}

function VerifyBadge({ backup }) {
  const v = backup.verify;
  if (!v) return <span className="bk-verify is-none" title={verifyTitle(v)}>Not verified</span>;
  return (
    <span className={cx('bk-verify', v.ok ? 'is-ok' : 'is-bad')} title={verifyTitle(v)}>
      <span className="bk-verify-icon"><Icon name={v.ok ? 'check' : 'x'} strokeWidth={2.5} /></span>
      {v.ok ? 'Verified' : 'Failed'}
      <span className="bk-verify-when"><Time value={backup.verified_at} /></span>
    </span>
  );
}

function shortName(name) { name = String(name || ''); return name.length > 32 ? name.slice(0, 20) + '…' + name.slice(-10) : name; }
function isSystemName(name) { return /scheduler|system|server/i.test(String(name || '')); }

function KindPill({ kind }) {
  const k = BACKUP_KINDS[kind] || [capitalize(String(kind || '').replace(/_/g, ' ')), 'gray'];
  return <Pill tone={k[1]}>{k[0]}</Pill>;
}

// Who a restore locks out or signs out, said plainly before anyone presses Restore.
function RestoreAccounts({ accounts: a }) {
  if (!a) return null;
  const names = list => list.slice(0, 6).join(', ') + (list.length > 6 ? ' and ' + (list.length - 6) + ' more' : '');
  const lines = [];
  if (a.everyone_signed_out) lines.push(['log-out', <><b>Everyone is signed out</b>, you included, and signs in again with the passwords they had then.</>]);
  else if (a.you === 'signed_out') lines.push(['log-out', <><b>You will be signed out</b> and sign in again with the password you had then.</>]);
  if (a.you === 'removed') lines.push(['user-x', <><b>Your own account is not in this backup</b>: you will be signed out and cannot sign back in with it. Sign in afterwards as an admin who was there then.</>]);
  if (a.removed.length) lines.push(['user-x', <><b>{plural(a.removed.length, 'user')} will lose access</b> (not in the backup, or deactivated then): {names(a.removed)}.</>]);
  if (a.signed_out.length && !a.everyone_signed_out) lines.push(['log-out', <><b>{plural(a.signed_out.length, 'user')} will be signed out</b> (their password or sessions changed since): {names(a.signed_out)}.</>]);
  if (a.role_changed.length) lines.push(['shield', <>Roles go back: {names(a.role_changed)}.</>]);
  if (a.added.length) lines.push(['user-plus', <>{plural(a.added.length, 'account')} come back: {names(a.added)}.</>]);
  if (!lines.length) return <div className="bk-accounts is-ok"><Icon name="check-circle" /><span>Everyone stays signed in; no account is added or removed.</span></div>;
  const serious = a.everyone_signed_out || a.you === 'removed' || a.removed.length > 0;
  return (
    <Callout tone={serious ? 'danger' : 'warn'} icon="users" title="Accounts">
      <ul className="bk-accounts-list">{lines.map(([icon, text], i) => <li key={i}><Icon name={icon} /><span>{text}</span></li>)}</ul>
    </Callout>
  );
}

function BackupStats({ backups, policy }) {
  const last = backups[0];
  const verified = backups.filter(b => b.verify).sort((a, b) => String(b.verified_at).localeCompare(String(a.verified_at)))[0];
  const total = backups.reduce((s, b) => s + (b.size || 0), 0);
  return (
    <div className="bk-stats">
      <div className="card stat">
        <div className="st-label"><Icon name="clock" />Last backup</div>
        <div className="st-value">{last ? <Time value={last.created_at} /> : <span className="faint">None yet</span>}</div>
        <div className="bk-stat-sub">{last ? (BACKUP_KINDS[last.kind] || [last.kind])[0] + ' · ' + fmtBytes(last.size) : 'Back up now to take the first one'}</div>
      </div>
      <div className="card stat">
        <div className="st-label"><Icon name="shield-check" />Last verified</div>
        <div className={cx('st-value', verified && !verified.verify.ok && 'is-fail')}>{verified ? <Time value={verified.verified_at} /> : <span className="faint">Never</span>}</div>
        <div className="bk-stat-sub">{verified ? (verified.verify.ok ? 'All checks passed' : 'A check failed') : 'Verify proves a backup restores'}</div>
      </div>
      <div className="card stat">
        <div className="st-label"><Icon name="calendar" />Automatic</div>
        <div className="st-value">{policy ? (policy.enabled ? 'Nightly' : 'Off') : '—'}{policy && !policy.enabled && <Pill tone="amber" dot>Paused</Pill>}</div>
        <div className="bk-stat-sub">{policy ? (policy.enabled ? 'Next ' + fmtRel(nextRun(policy.hour)) + ' · ' + (localIsUtc() ? pad2(policy.hour) + ':00 UTC' : hourLabel(policy.hour) + ' your time') : 'Only manual backups are taken') : '\u00a0'}</div>
      </div>
      <div className="card stat">
        <div className="st-label"><Icon name="server" />Stored on this server</div>
        <div className="st-value">{fmtBytes(total)}</div>
        <div className="bk-stat-sub">{plural(backups.length, 'backup')} in data/backups</div>
      </div>
    </div>
  );
}

function PolicyCard({ policy, isAdmin, onSaved }) {
  const toast = useToast();
  const [f, setF] = useState(policy);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => { setF(policy); }, [policy]);
  const dirty = ['enabled', 'hour', 'keep_daily', 'keep_weekly'].some(k => String(f[k]) !== String(policy[k]));
  const badKeep = ['keep_daily', 'keep_weekly'].find(k => !/^\d+$/.test(String(f[k])) || +f[k] > 365);
  const save = async e => {
    e.preventDefault();
    if (badKeep) { setError('Keep a whole number from 0 to 365 of each.'); return; }
    setPending(true); setError('');
    try {
      const r = await api('/api/fundraising/backup-policy', { method: 'PATCH', body: { enabled: !!f.enabled, hour: +f.hour, keep_daily: +f.keep_daily, keep_weekly: +f.keep_weekly } });
      onSaved(r.data);
      toast(r.data.enabled ? 'Automatic backups run daily at ' + pad2(r.data.hour) + ':00 UTC' + (localIsUtc() ? '.' : ' (' + hourLabel(r.data.hour) + ' your time).') : 'Automatic backups are off.');
    } catch (err) { setError(err.message); }
    setPending(false);
  };
  const set = k => v => { setF(p => ({ ...p, [k]: v })); setError(''); };
  return (
    <form className="card bk-policy" onSubmit={save}>
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="calendar" /></span>
        <div className="spacer"><h2>Automatic backups</h2><p>A whole-database backup every night, pruned to what you keep. Manual, uploaded and pre-restore backups are never pruned.</p></div>
        <Switch checked={!!f.enabled} onChange={set('enabled')} label="Automatic backups" disabled={!isAdmin} />
      </div>
      <div className={cx('bk-policy-body', !f.enabled && 'is-off')}>
        <label className="bk-field">
          <span className="field-label">Time of day</span>
          <select className="select" value={f.hour} onChange={e => set('hour')(+e.target.value)} disabled={!isAdmin || !f.enabled} aria-label="Backup hour (UTC)">
            {Array.from({ length: 24 }, (_, h) => <option key={h} value={h}>{pad2(h)}:00 UTC{localIsUtc() ? '' : ' · ' + hourLabel(h) + ' local'}</option>)}
          </select>
        </label>
        <label className="bk-field bk-field-n">
          <span className="field-label">Keep daily</span>
          <span className="bk-n"><input className="input" type="number" min={0} max={365} value={f.keep_daily} onChange={e => set('keep_daily')(e.target.value)} disabled={!isAdmin || !f.enabled} aria-label="Daily backups to keep" /><span className="muted">newest</span></span>
        </label>
        <label className="bk-field bk-field-n">
          <span className="field-label">Keep weekly</span>
          <span className="bk-n"><input className="input" type="number" min={0} max={365} value={f.keep_weekly} onChange={e => set('keep_weekly')(e.target.value)} disabled={!isAdmin || !f.enabled} aria-label="Weekly backups to keep" /><span className="muted">weeks</span></span>
        </label>
      </div>
      {(error || dirty || !isAdmin) && (
        <div className="bk-policy-foot">
          {error ? <FormError>{error}</FormError> : !isAdmin ? <span className="muted small"><Icon name="lock" />Only admins change the schedule.</span> : <span className="muted small">Unsaved changes</span>}
          <span className="spacer" />
          {isAdmin && dirty && <><Button size="sm" onClick={() => { setF(policy); setError(''); }}>Discard</Button><Button size="sm" type="submit" variant="primary" pending={pending}>Save schedule</Button></>}
        </div>
      )}
    </form>
  );
}

function BackupActions({ isAdmin, onCreated }) {
  const toast = useToast();
  const [note, setNote] = useState('');
  const [pending, setPending] = useState(false);
  const [upload, setUpload] = useState(null);
  const input = useRef(null);
  const backup = async e => {
    e.preventDefault();
    setPending(true);
    try {
      const r = await api('/api/fundraising/backup', { method: 'POST', body: note.trim() ? { note: note.trim() } : {} });
      setNote('');
      onCreated(r.data);
      toast('Backup taken: ' + fmtBytes(r.data.size) + ', ' + plural((r.data.row_counts || {}).investors || 0, 'investor') + '.');
    } catch (err) { toast('Could not take a backup: ' + err.message, 'error'); }
    setPending(false);
  };
  const send = async f => {
    setUpload({ name: f.name, loaded: 0, total: f.size });
    try {
      const r = await apiUpload('/api/fundraising/backups/upload', f, { onProgress: (loaded, total) => setUpload(u => u && { ...u, loaded, total: total || u.total }) });
      onCreated(r.data);
      toast('Uploaded ' + shortName(f.name) + ': it passed the checks and is listed below, ready to restore.');
    } catch (err) { toast('Could not use ' + shortName(f.name) + ': ' + err.message, 'error'); }
    setUpload(null);
  };
  return (
    <div className="bk-actions-bar">
      {isAdmin && (
        <>
          <input ref={input} type="file" accept=".db,.sqlite,.sqlite3,application/vnd.sqlite3,application/octet-stream" className="sr-only" tabIndex={-1} aria-label="Backup file to upload"
            onChange={e => { const f = e.target.files && e.target.files[0]; if (f) send(f); e.target.value = ''; }} />
          {upload ? (
            <div className="bk-upload-progress" role="status">
              <div className="small nowrap"><b>Uploading</b> {fmtBytes(upload.loaded)} of {fmtBytes(upload.total)}</div>
              <div className="imp-bar is-sm"><span style={{ width: (upload.total ? Math.round(upload.loaded * 100 / upload.total) : 0) + '%' }} /></div>
            </div>
          ) : <Button icon="upload" onClick={() => input.current.click()} title="Upload a .db backup taken on another box or kept elsewhere; it is checked before it is kept">Upload…</Button>}
        </>
      )}
      <form className="bk-now-form" onSubmit={backup}>
        <input className="input" value={note} onChange={e => setNote(e.target.value)} placeholder="Note (optional)" aria-label="Backup note" maxLength={200} />
        <Button type="submit" variant="primary" icon="database" pending={pending}>Back up now</Button>
      </form>
    </div>
  );
}

function RestoreModal({ backup, onClose }) {
  const toast = useToast();
  const [state] = useAsync(() => api('/api/fundraising/restore-preview', { method: 'POST', body: { id: backup.id } }).then(r => r.data), [backup.id]);
  const [typed, setTyped] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const [allTables, setAllTables] = useState(false);
  const p = state.data;
  const inv = p && p.investors;
  const ready = typed.trim() === RESTORE_PHRASE;
  const go = async e => {
    e.preventDefault();
    if (!ready || !p) return;
    setPending(true); setError('');
    try {
      const r = await api('/api/fundraising/restore', { method: 'POST', body: { id: backup.id } });
      try { window.sessionStorage.setItem(RESTORED_NOTE_KEY, JSON.stringify({ backup: backup.created_at, kind: backup.kind, pre: r.data.pre_restore_backup, at: r.data.restored_at })); } catch (err) { /* storage off */ }
      toast('Restored the backup from ' + fmtAbs(backup.created_at) + '. Reloading…');
      setTimeout(() => window.location.reload(), 900);
    } catch (err) { setError(err.message); setPending(false); }
  };
  const tables = p ? Object.keys(p.tables).filter(t => allTables || KEY_TABLES.includes(t))
    .sort((a, b) => (KEY_TABLES.indexOf(a) + 1 || 99) - (KEY_TABLES.indexOf(b) + 1 || 99) || a.localeCompare(b)) : [];
  const examples = (list, n) => (list && list.length ? list.join(', ') + (n > list.length ? ' and ' + (n - list.length).toLocaleString() + ' more' : '') : '');
  return (
    <Modal title={'Restore the backup from ' + fmtAbs(backup.created_at) + '?'} description={(BACKUP_KINDS[backup.kind] || [backup.kind])[0] + ' backup · ' + fmtBytes(backup.size) + (backup.created_by ? ' · by ' + backup.created_by : '') + (backup.note ? ' · “' + backup.note + '”' : '')} onClose={onClose} size="lg">
      <form onSubmit={go}>
        <div className="modal-body stack-16 bk-restore">
          {state.loading && !p ? (
            <div className="bk-restore-loading"><Spinner large /><span className="muted">Verifying the backup and comparing it with the live data…</span></div>
          ) : state.error ? (
            <Callout tone="danger" title={state.error.body && state.error.body.code === 'backup_invalid' ? 'This backup failed verification' : 'Couldn’t prepare the restore'}>
              <div className="co-text">{state.error.message}. {state.error.body && state.error.body.code === 'backup_invalid' ? 'It will not be restored. Choose another backup.' : ''}</div>
            </Callout>
          ) : (
            <>
              <div className="bk-impact" aria-label="What happens to investors">
                <div className={cx('bk-impact-item', inv.removed_by_restore > 0 && 'is-red')}>
                  <div className="bk-impact-n">{inv.removed_by_restore.toLocaleString()}</div>
                  <div className="bk-impact-l">{inv.removed_by_restore === 1 ? 'investor will be removed' : 'investors will be removed'}</div>
                  <div className="bk-impact-ex" title={examples(inv.examples.removed, inv.removed_by_restore)}>{examples(inv.examples.removed, inv.removed_by_restore) || 'Added since the backup'}</div>
                </div>
                <div className={cx('bk-impact-item', inv.added_by_restore > 0 && 'is-green')}>
                  <div className="bk-impact-n">{inv.added_by_restore.toLocaleString()}</div>
                  <div className="bk-impact-l">{inv.added_by_restore === 1 ? 'investor brought back' : 'investors brought back'}</div>
                  <div className="bk-impact-ex" title={examples(inv.examples.added, inv.added_by_restore)}>{examples(inv.examples.added, inv.added_by_restore) || 'Gone since the backup'}</div>
                </div>
                <div className={cx('bk-impact-item', inv.changed > 0 && 'is-amber')}>
                  <div className="bk-impact-n">{inv.changed.toLocaleString()}</div>
                  <div className="bk-impact-l">{inv.changed === 1 ? 'investor changed back' : 'investors changed back'}</div>
                  <div className="bk-impact-ex" title={examples(inv.examples.changed, inv.changed)}>{examples(inv.examples.changed, inv.changed) || 'Edited or archived since'}</div>
                </div>
              </div>
              <RestoreAccounts accounts={p.accounts} />
              <Callout tone="warn" title="Everything changed after this backup is replaced">
                <div className="co-text">
                  The whole database goes back to {fmtFull(backup.created_at).split('  ·  ')[0]}: investors, columns, views, rules, users and the audit log.
                  A <b>pre-restore backup</b> of the data as it is now is taken first, so you can undo this by restoring that one.
                  Everyone’s open browsers reload.
                </div>
              </Callout>
              <div className="table-card">
                <table className="table bk-counts">
                  <thead><tr><th>Data</th><th className="num">In the backup</th><th className="num">Now</th><th className="num">After restoring</th></tr></thead>
                  <tbody>
                    {tables.map(t => {
                      const { backup: b, current: c } = p.tables[t];
                      const d = b - c;
                      return (
                        <tr key={t} className={cx(d !== 0 && 'is-diff')}>
                          <td>{TABLE_LABELS[t] || t}</td>
                          <td className="num">{b.toLocaleString()}</td>
                          <td className="num">{c.toLocaleString()}</td>
                          <td className="num">{d === 0 ? <span className="faint">no change</span> : <span className={d > 0 ? 'bk-up' : 'bk-down'}>{d > 0 ? '+' : '−'}{Math.abs(d).toLocaleString()}</span>}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
                <div className="table-foot">
                  <span>Counts include archived records.</span>
                  <span className="spacer" />
                  <button type="button" className="link-btn" onClick={() => setAllTables(a => !a)}>{allTables ? 'Show the main tables' : 'Show all ' + Object.keys(p.tables).length + ' tables'}</button>
                </div>
              </div>
              <FormError>{error}</FormError>
            </>
          )}
        </div>
        <div className="modal-foot bk-confirm-foot">
          {p && (
            <label className="bk-confirm">
              <span>Type <code className="bk-phrase">{RESTORE_PHRASE}</code> to confirm</span>
              <input className="input" value={typed} onChange={e => { setTyped(e.target.value); setError(''); }} autoComplete="off" spellCheck="false"
                placeholder={RESTORE_PHRASE} data-autofocus="true" aria-label={'Type ' + RESTORE_PHRASE + ' to confirm'} />
            </label>
          )}
          <span className="spacer" />
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="danger" icon="rotate-ccw" pending={pending} disabled={!p || !ready}>Restore this backup</Button>
        </div>
      </form>
    </Modal>
  );
}

function ResetAllModal({ onClose, onDone }) {
  const [typed, setTyped] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const ready = typed.trim() === RESET_PHRASE;
  const go = async e => {
    e.preventDefault();
    if (!ready) return;
    setPending(true); setError('');
    try {
      const r = await api('/api/admin/reset-all-data', { method: 'POST', body: { confirm: RESET_PHRASE } });
      onDone(r.data);
    } catch (err) { setError(err.message); setPending(false); }
  };
  return (
    <Modal title="Reset all data?" description="Start the grid over without losing anything." onClose={onClose} wide>
      <form onSubmit={go}>
        <div className="modal-body stack-16">
          <ul className="bk-reset-list">
            <li><Icon name="database" /><span><b>A backup is taken first</b> (kind “Before reset”), listed on this page.</span></li>
            <li><Icon name="archive" /><span><b>Every investor, custom column and view is archived</b>, not deleted: Admin → Archive brings any of them back, or restore the backup to undo everything at once.</span></li>
            <li><Icon name="users" /><span>Users, service tokens, automation rules and the audit log are kept.</span></li>
          </ul>
          <TextField label={<>Type <code className="bk-phrase">{RESET_PHRASE}</code> to confirm</>} value={typed} onChange={v => { setTyped(v); setError(''); }}
            autoComplete="off" spellCheck="false" placeholder={RESET_PHRASE} data-autofocus="true" />
          <FormError>{error}</FormError>
        </div>
        <FormFoot onCancel={onClose} variant="danger" icon="archive" pending={pending} disabled={!ready} label="Reset all data" />
      </form>
    </Modal>
  );
}

function RestoredNote() {
  const [note, setNote] = useState(() => { try { return JSON.parse(window.sessionStorage.getItem(RESTORED_NOTE_KEY) || 'null'); } catch (e) { return null; } });
  const [count, setCount] = useState(null);
  useEffect(() => {
    if (!note) return undefined;
    try { window.sessionStorage.removeItem(RESTORED_NOTE_KEY); } catch (e) { /* ignore */ }
    let live = true;
    api('/api/fundraising/lists').then(r => { if (live) setCount(Object.values(r.data || {}).reduce((s, n) => s + (n || 0), 0)); }).catch(() => {});
    return () => { live = false; };
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  if (!note) return null;
  return (
    <div className="bk-restored">
      <Callout tone="success" title={'Restored the backup from ' + fmtAbs(note.backup)} onDismiss={() => setNote(null)}>
        <div className="co-text">
          {count === null ? 'The grid is back as it was then.' : <>The grid now has <b className="bk-restored-count">{plural(count, 'investor')}</b>, as it had then.</>}
          {' '}The data from just before is kept as a “Before restore” backup below, in case you need it back.
        </div>
        <div className="co-actions"><Button size="sm" icon="grid" onClick={() => navigate('#/grid')}>Open the grid</Button></div>
      </Callout>
    </div>
  );
}

function BackupsTab({ user }) {
  const toast = useToast();
  const isAdmin = user.role === 'admin';
  const [state, reload, setState] = useAsync(() => Promise.all([api('/api/fundraising/backups'), api('/api/fundraising/backup-policy')])
    .then(([b, p]) => ({ backups: b.data || [], policy: p.data || null })), []);
  const [busy, setBusy] = useState({});
  const [restore, setRestore] = useState(null);
  const [reset, setReset] = useState(false);
  const d = state.data;
  const backups = d ? d.backups : [];
  const replace = m => setState(s => (s.data ? { ...s, data: { ...s.data, backups: s.data.backups.map(b => (b.id === m.id ? m : b)) } } : s));
  const verify = async b => {
    setBusy(x => ({ ...x, [b.id]: 'verify' }));
    try {
      const r = await api('/api/fundraising/backup-verify', { method: 'POST', body: { id: b.id } });
      replace(r.data);
      if (r.data.verify && r.data.verify.ok) toast('Verified: the ' + fmtAbs(b.created_at) + ' backup passed every check.');
      else toast('The ' + fmtAbs(b.created_at) + ' backup failed verification: ' + verifyTitle(r.data.verify).split('\n').filter(l => l.startsWith('✗')).map(l => l.slice(2)).join(', '), 'error');
    } catch (err) { toast('Could not verify: ' + err.message, 'error'); }
    setBusy(x => ({ ...x, [b.id]: null }));
  };
  const download = async b => {
    setBusy(x => ({ ...x, [b.id]: 'download' }));
    try { await downloadFile('/api/fundraising/backups/' + encodeURIComponent(b.id) + '/download', 'venture-crm-' + b.id + '.db'); toast('Downloaded the ' + fmtAbs(b.created_at) + ' backup (' + fmtBytes(b.size) + '). Keep it somewhere other than this server.'); }
    catch (err) { toast('Could not download: ' + err.message, 'error'); }
    setBusy(x => ({ ...x, [b.id]: null }));
  };
  return (
    <div className="stack-24">
      <RestoredNote />
      {state.error && !d && <LoadError error={state.error} onRetry={reload} />}
      <BackupStats backups={backups} policy={d && d.policy} />
      <section aria-labelledby="bk-list-title">
        <div className="toolbar bk-toolbar">
          <div className="spacer">
            <h2 className="section-title" id="bk-list-title">Backups</h2>
            <div className="muted small">Whole-database copies, newest first, in <code>data/backups/</code> on this server: download one now and then to keep a copy elsewhere.{!isAdmin && ' Admins can download and restore them.'}</div>
          </div>
          <BackupActions isAdmin={isAdmin} onCreated={() => reload(true)} />
        </div>
        <div className="table-card">
          <div className="table-scroll">
            <table className="table bk-table">
              <thead><tr><th>Taken</th><th>Kind</th><th>Contents</th><th>By</th><th>Verified</th><th className="actions-col"><span className="sr-only">Actions</span></th></tr></thead>
              <tbody>
                {!d ? <SkeletonRows cols={6} rows={3} /> : backups.length === 0 ? (
                  <TableEmpty cols={6} icon="database" title="No backups yet">Back up now, or wait for tonight’s automatic backup.</TableEmpty>
                ) : backups.map(b => (
                  <tr key={b.id} data-backup={b.id}>
                    <td>
                      <div className="bk-when"><span title={fmtFull(b.created_at)}>{fmtAbs(b.created_at)}</span></div>
                      <div className="bk-sub">{b.note ? <span className="bk-note" title={b.note}>{b.note}</span> : <Time value={b.created_at} />}</div>
                    </td>
                    <td><KindPill kind={b.kind} /></td>
                    <td>
                      <div className="bk-contents">{b.row_counts ? plural(b.row_counts.investors || 0, 'investor') : '—'}</div>
                      <div className="bk-sub">{b.row_counts ? plural(b.row_counts.grid_columns || 0, 'column') + ' · ' : ''}{fmtBytes(b.size)}</div>
                    </td>
                    <td>{b.created_by && !isSystemName(b.created_by) ? <div className="who"><Avatar name={b.created_by} size="sm" /><span>{b.created_by}</span></div>
                      : <div className="who" title={b.created_by || 'The server’s scheduler'}><span className="avatar sm av-bot"><Icon name="clock" /></span><span className="muted">Scheduler</span></div>}</td>
                    <td><VerifyBadge backup={b} /></td>
                    <td className="actions-col">
                      <div className="bk-actions">
                        <Button size="sm" variant="ghost" icon="shield-check" pending={busy[b.id] === 'verify'} disabled={!!busy[b.id]} onClick={() => verify(b)}>Verify</Button>
                        {isAdmin && <Button size="sm" variant="ghost" icon="download" pending={busy[b.id] === 'download'} disabled={!!busy[b.id]} onClick={() => download(b)} aria-label={'Download the backup from ' + fmtAbs(b.created_at)} title="Download the .db file" />}
                        {isAdmin && <Button size="sm" icon="rotate-ccw" disabled={!!busy[b.id]} onClick={() => setRestore(b)}>Restore…</Button>}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      </section>
      {d && d.policy ? <PolicyCard policy={d.policy} isAdmin={isAdmin} onSaved={p => setState(s => ({ ...s, data: { ...s.data, policy: p } }))} /> : <div className="card bk-policy bk-skel"><span className="sk sk-w40" /></div>}
      {isAdmin && (
        <section className="card bk-danger" aria-labelledby="bk-danger-title">
          <div className="bk-danger-text">
            <h2 id="bk-danger-title">Reset all data</h2>
            <p>Archive every investor, custom column and view to start the grid over. A backup is taken first and nothing is deleted: everything stays restorable from Admin → Archive or from that backup.</p>
          </div>
          <Button variant="danger-ghost" icon="archive" className="bk-danger-btn" onClick={() => setReset(true)}>Reset all data…</Button>
        </section>
      )}
      {restore && <RestoreModal backup={restore} onClose={() => setRestore(null)} />}
      {reset && <ResetAllModal onClose={() => setReset(false)} onDone={r => {
        setReset(false);
        const n = Object.values((r && r.archived) || {}).reduce((s, v) => s + (typeof v === 'number' ? v : 0), 0);
        toast('All data archived' + (n ? ' (' + n.toLocaleString() + ' records)' : '') + '. The backup taken first is listed here.');
        reload(true);
      }} />}
    </div>
  );
}

/* ---------- Settings -> Email: capture status, mailboxes, the Google key, imports, proposals, runs ---------- */
const MAIL_AUTH = { delegation: ['Workspace delegation', 'indigo'], oauth: ['Connected Gmail', 'blue'], import: ['Import only', 'gray'] };
const MAIL_RUN_STATUS = { running: ['Running', 'blue'], ok: ['OK', 'green'], error: ['Failed', 'red'], interrupted: ['Interrupted', 'amber'] };
const MAIL_RUN_KINDS = { backfill: 'Backfill', incremental: 'Incremental', resync: 'Full re-sync', import: 'Import' };
const MAIL_TRIGGERS = { schedule: 'Scheduled', manual: 'Manual', upload: 'Upload', enrol: 'On enrolment', startup: 'At start-up' };
const MAIL_RUNS_SHOWN = 12;
const MAIL_PROPOSALS_SHOWN = 50;

function mailErrorText(e) {
  if (!e) return '';
  if (typeof e === 'string') return e;
  const where = e.index !== undefined ? 'Message ' + (e.index + 1) : e.id || e.message_id || '';
  return (where ? where + ': ' : '') + (e.message || e.error || JSON.stringify(e));
}

function MailStats({ status, runs, stored }) {
  const accounts = status.accounts || [];
  const synced = accounts.filter(a => a.auth !== 'import');
  const run = runs[0];
  const last = [...accounts.map(a => a.last_sync_at), run && (run.finished_at || run.started_at)].filter(Boolean).sort().pop();
  const busy = status.running || accounts.some(a => a.syncing);
  return (
    <div className="bk-stats em-stats">
      <div className="card stat">
        <div className="st-label"><Icon name="mail" />Gmail capture</div>
        <div className="st-value">{status.enabled ? 'On' : 'Off'}{busy ? <Pill tone="blue"><Spinner />Syncing</Pill> : status.enabled ? <Pill tone="green" dot>Live</Pill> : <Pill tone="gray">Imports only</Pill>}</div>
        <div className="bk-stat-sub" title={status.service_account ? status.service_account.client_email : ''}>{status.service_account ? 'Workspace key · ' + status.service_account.project_id : synced.length ? 'Connected Gmail' : 'No Google key yet'}</div>
      </div>
      <div className="card stat">
        <div className="st-label"><Icon name="inbox" />Mailboxes</div>
        <div className="st-value">{accounts.length.toLocaleString()}</div>
        <div className="bk-stat-sub">{accounts.length ? synced.length + ' synced · ' + (accounts.length - synced.length) + ' import only' : 'None yet'}</div>
      </div>
      <div className="card stat">
        <div className="st-label"><Icon name="database" />Messages stored</div>
        <div className="st-value">{stored === null ? '—' : stored.toLocaleString()}</div>
        <div className="bk-stat-sub" title="Each email is stored once, however many mailboxes saw it">Once each, across mailboxes</div>
      </div>
      <div className="card stat">
        <div className="st-label"><Icon name="clock" />Last sync or import</div>
        <div className="st-value">{last ? <Time value={last} /> : <span className="faint">Never</span>}</div>
        <div className="bk-stat-sub">{run ? (MAIL_RUN_KINDS[run.kind] || run.kind) + ' · ' + (MAIL_RUN_STATUS[run.status] || [run.status])[0] + (run.new ? ' · ' + run.new.toLocaleString() + ' new' : '') : 'Nothing has run yet'}</div>
      </div>
    </div>
  );
}

// The server's sentence with the investor's name as a link to its panel.
function ProposalSummary({ p }) {
  const text = String(p.summary || ''), name = p.investor && p.investor.name;
  const at = name ? text.lastIndexOf(name) : -1;
  if (at < 0) return text;
  return <>{text.slice(0, at)}<a href={'#/grid?investor=' + encodeURIComponent(p.investor.id)}>{name}</a>{text.slice(at + name.length)}</>;
}

function MailProposals({ onChanged }) {
  const toast = useToast();
  const [status, setStatus] = useState('pending');
  const [shownN, setShownN] = useState(MAIL_PROPOSALS_SHOWN);
  const [state, reload, setState] = useAsync(() => api('/api/email/proposals?status=' + status + '&limit=500')
    .then(r => ({ items: r.data || [], total: r.total || 0 })), [status]);
  const [busy, setBusy] = useState({});
  const [confirmAll, setConfirmAll] = useState(false);
  const d = state.data;
  const items = d ? d.items : [];
  const touches = status === 'pending' ? items.filter(p => p.kind === 'log_touch') : [];
  const drop = ids => setState(s => (s.data ? { ...s, data: { items: s.data.items.filter(p => !ids.includes(p.id)), total: Math.max(0, s.data.total - ids.length) } } : s));
  const decide = async (p, approve) => {
    setBusy(b => ({ ...b, [p.id]: approve ? 'approve' : 'reject' }));
    try {
      const r = await api('/api/email/proposals/' + encodeURIComponent(p.id) + '/' + (approve ? 'approve' : 'reject'), { method: 'POST' });
      if (status === 'pending') drop([p.id]);
      else setState(s => (s.data ? { ...s, data: { ...s.data, items: s.data.items.map(x => (x.id === p.id ? r.data : x)) } } : s));
      toast(!approve ? 'Rejected: ' + p.summary : p.kind === 'add_person' ? 'Added ' + (p.name || p.address) + ' to ' + p.investor.name + '.' : 'Logged the thread as a touch on ' + p.investor.name + '.');
      if (onChanged) onChanged();
    } catch (err) {
      toast(err.status === 409 ? 'Someone already decided this one.' : 'Couldn’t ' + (approve ? 'approve' : 'reject') + ': ' + err.message, err.status === 409 ? 'info' : 'error');
      if (err.status === 409) reload(true);
    }
    setBusy(b => ({ ...b, [p.id]: null }));
  };
  // One request, one transaction: every pending touch shown, or none if one was decided meanwhile.
  const approveAll = async () => {
    const ids = touches.map(p => p.id);
    try {
      const r = await api('/api/email/proposals/approve-touches', { method: 'POST', body: { ids } });
      drop(ids);
      toast('Logged ' + plural(r.data.approved, 'thread') + ' as touches on their investors.');
    } catch (err) {
      toast(err.status === 409 ? 'Someone decided some of these meanwhile; the list is fresh again.' : 'Couldn’t approve: ' + err.message, err.status === 409 ? 'info' : 'error');
    } finally {
      if (onChanged) onChanged();
    }
  };
  const tabs = [['pending', 'Pending'], ['approved', 'Approved'], ['rejected', 'Rejected'], ['all', 'All']];
  return (
    <section aria-labelledby="em-prop-title">
      <div className="toolbar em-toolbar">
        <div className="spacer">
          <h2 className="section-title" id="em-prop-title">Proposals</h2>
          <div className="muted small">What matched mail suggests: log a conversation as a touch on its investor, or add a new person. Nothing changes until someone approves.</div>
        </div>
        <div className="seg" role="group" aria-label="Show proposals">
          {tabs.map(([id, label]) => (
            <button key={id} type="button" className={cx('seg-btn', status === id && 'is-on')} aria-pressed={status === id ? 'true' : 'false'} onClick={() => { setStatus(id); setShownN(MAIL_PROPOSALS_SHOWN); }}>
              {label}{id === status && d ? <span className="act-n">{d.total.toLocaleString()}</span> : null}
            </button>
          ))}
        </div>
        {touches.length > 1 && <Button size="sm" variant="primary" icon="check" onClick={() => setConfirmAll(true)}>Approve all {touches.length.toLocaleString()} touches</Button>}
      </div>
      <LoadError error={state.error} onRetry={reload} />
      <div className="card em-props">
        {!d ? <div className="em-prop-skel"><span className="sk" /><span className="sk sk-short" /></div>
          : !items.length ? (
            <div className="table-empty"><StateIcon icon={status === 'pending' ? 'check-circle' : 'inbox'} />
              <div className="te-title">{status === 'pending' ? 'Nothing to review' : 'No ' + (status === 'all' ? '' : status + ' ') + 'proposals'}</div>
              <div className="te-text">{status === 'pending' ? 'When matched mail suggests logging a thread or adding a person, it waits here for someone to decide.' : 'Decided proposals are kept here.'}</div></div>
          ) : (
            <ul className="em-prop-list">
              {items.slice(0, shownN).map(p => (
                <li key={p.id} className={cx('em-prop', p.status !== 'pending' && 'is-decided')} data-proposal={p.id}>
                  <span className={cx('em-prop-icon', p.kind === 'add_person' ? 'is-person' : 'is-touch')}><Icon name={p.kind === 'add_person' ? 'user-plus' : 'mail'} /></span>
                  <div className="em-prop-main">
                    <div className="em-prop-summary"><ProposalSummary p={p} /></div>
                    <div className="em-prop-sub">
                      {p.kind === 'log_touch' ? <>
                        {p.last_at && <span><Time value={p.last_at} /></span>}
                        {p.messages > 0 && <span>{plural(p.messages, 'message')}</span>}
                        {p.last_from && <span className="em-prop-from">last {p.direction === 'inbound' ? 'from' : 'by'} {p.last_from}</span>}
                      </> : <><span>Suggested <Time value={p.created_at} /></span><span>not yet in the grid’s Contacts</span></>}
                    </div>
                  </div>
                  {p.status === 'pending' ? (
                    <div className="em-prop-actions">
                      <Button size="sm" variant="ghost" pending={busy[p.id] === 'reject'} disabled={!!busy[p.id]} onClick={() => decide(p, false)} aria-label={'Reject: ' + p.summary}>Reject</Button>
                      <Button size="sm" icon="check" pending={busy[p.id] === 'approve'} disabled={!!busy[p.id]} onClick={() => decide(p, true)} aria-label={'Approve: ' + p.summary}>Approve</Button>
                    </div>
                  ) : (
                    <div className="em-prop-state">
                      <Pill tone={p.status === 'approved' ? 'green' : p.status === 'rejected' ? 'gray' : 'amber'}>{capitalize(p.status)}</Pill>
                      {p.decided_by && <span className="muted small">{p.decided_by} · <Time value={p.decided_at} /></span>}
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )}
        {d && d.total > Math.min(shownN, items.length) && (
          <div className="table-foot"><span>Showing {Math.min(shownN, items.length).toLocaleString()} of {d.total.toLocaleString()}{d.total > items.length ? ' (the newest ' + items.length.toLocaleString() + ' are loaded)' : ''}</span><span className="spacer" />
            {items.length > shownN && <Button size="sm" onClick={() => setShownN(n => n + MAIL_PROPOSALS_SHOWN)}>Show more</Button>}</div>
        )}
      </div>
      {confirmAll && (
        <ConfirmDialog title={'Approve all ' + touches.length + ' touches?'} danger={false} confirmLabel={'Log ' + plural(touches.length, 'touch', 'touches')}
          body={<>Each conversation is logged as an email interaction on its investor, dated by its latest message. People to add are left for you to decide one by one.</>}
          onConfirm={approveAll} onClose={() => setConfirmAll(false)} />
      )}
    </section>
  );
}

function MailAccounts({ status, isAdmin, onChange, onKick }) {
  const toast = useToast();
  const [email, setEmail] = useState('');
  const [enrolErr, setEnrolErr] = useState('');
  const [pending, setPending] = useState(null);
  const [archive, setArchive] = useState(null);
  const accounts = status.accounts || [];
  const synced = accounts.filter(a => a.auth !== 'import');
  const running = status.running || accounts.some(a => a.syncing);
  const hasKey = !!status.service_account;
  const sync = async account => {
    setPending(account ? 'sync:' + account.email : 'sync');
    try {
      const r = await api('/api/email/sync', { method: 'POST', body: account ? { account: account.email } : {} });
      toast(r.data && r.data.started === false ? 'A sync is already running; it covers this too.' : account ? 'Syncing ' + account.email + ' in the background.' : 'Syncing every mailbox in the background.', 'info');
      onKick();
    } catch (err) { toast('Couldn’t start a sync: ' + err.message, 'error'); }
    setPending(null);
  };
  const enrol = async e => {
    e.preventDefault();
    const v = email.trim();
    if (!EMAIL_RE.test(v)) { setEnrolErr('Enter the mailbox’s address, like ann@' + ((status.team_domains || [])[0] || 'fund.example') + '.'); return; }
    setPending('enrol'); setEnrolErr('');
    try {
      await api('/api/email/accounts', { method: 'POST', body: { email: v } });  // enrolling starts its backfill
      setEmail('');
      toast('Enrolled ' + v + ': its mail is backfilling now.');
      onChange(); onKick();
    } catch (err) { setEnrolErr(err.message); }
    setPending(null);
  };
  const connect = async () => {
    setPending('oauth');
    try { const r = await api('/api/email/oauth/start', { method: 'POST' }); window.location.assign(r.data.url); }
    catch (err) { toast('Couldn’t start connecting Gmail: ' + err.message, 'error'); setPending(null); }
  };
  const rematch = async () => {
    setPending('rematch');
    try {
      const r = await api('/api/email/rematch', { method: 'POST' });
      toast(r.data.changed ? 'Matched again: ' + plural(r.data.changed, 'message') + ' changed, ' + plural(r.data.newly_matched || 0, 'newly matched message') + '.' : 'Matched again: nothing changed.');
      onChange();
    } catch (err) { toast('Couldn’t match again: ' + err.message, 'error'); }
    setPending(null);
  };
  return (
    <section aria-labelledby="em-acc-title">
      <div className="toolbar em-toolbar">
        <div className="spacer">
          <h2 className="section-title" id="em-acc-title">Mailboxes</h2>
          <div className="muted small">Team mailboxes read through Google, and the ones mail was imported for. Archiving one stops its sync and keeps its mail.</div>
        </div>
        <div className="em-acc-actions">
          {isAdmin && <Button size="sm" variant="ghost" icon="refresh" pending={pending === 'rematch'} onClick={rematch} title="Match all stored mail against the grid’s people again, after adding contacts">Match again</Button>}
          {status.oauth_enabled && <Button size="sm" icon="link" pending={pending === 'oauth'} onClick={connect}>Connect my Gmail</Button>}
          {isAdmin && status.enabled && synced.length > 0 && <Button size="sm" variant="primary" icon="refresh" pending={pending === 'sync'} disabled={running} onClick={() => sync(null)}>{running ? 'Syncing…' : 'Sync all now'}</Button>}
        </div>
      </div>
      <div className="table-card">
        <div className="table-scroll">
          <table className="table em-acc-table">
            <thead><tr><th>Mailbox</th><th>Syncs by</th><th className="num">Messages</th><th>Last sync</th><th className="actions-col"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {!accounts.length ? (
                <TableEmpty cols={5} icon="inbox" title="No mailboxes yet">{isAdmin ? 'Enrol a team mailbox below once the Google key is uploaded, connect your Gmail, or import an .mbox.' : 'Import an .mbox below, or ask an admin to enrol the team’s mailboxes.'}</TableEmpty>
              ) : accounts.map(a => {
                const [label, tone] = MAIL_AUTH[a.auth] || [a.auth, 'gray'];
                return (
                  <tr key={a.id} data-account={a.email}>
                    <td>
                      <div className="who"><Avatar name={a.email} size="sm" /><span className="em-acc-email">{a.email}</span></div>
                      {a.last_error && <div className="em-acc-error" title={a.last_error}><Icon name="alert-circle" />{a.last_error}</div>}
                    </td>
                    <td><Pill tone={tone}>{label}</Pill></td>
                    <td className="num">{(a.messages || 0).toLocaleString()}<span className="em-acc-unit"> {a.messages === 1 ? 'message' : 'messages'}</span></td>
                    <td className={cx(a.auth === 'import' && !a.syncing && 'em-acc-imported')}>
                      {a.syncing ? <span className="em-syncing"><Spinner />{a.backfill_done ? 'Syncing…' : 'Backfilling…'}</span>
                        : a.auth === 'import' ? <span className="faint">Imported</span>
                        : a.last_sync_at ? <><span className="em-acc-unit">Synced </span><Time value={a.last_sync_at} /></> : <span className="faint">Not synced yet</span>}
                      {a.auth !== 'import' && !a.syncing && !a.backfill_done && a.last_sync_at && <div className="bk-sub">Backfill in progress</div>}
                    </td>
                    <td className="actions-col">
                      <div className="bk-actions">
                        {isAdmin && a.auth !== 'import' && status.enabled && <Button size="sm" variant="ghost" icon="refresh" className="em-sync-btn" pending={pending === 'sync:' + a.email} disabled={running || !!pending} onClick={() => sync(a)} aria-label="Sync now" title={'Sync ' + a.email + ' now'}>Sync now</Button>}
                        {isAdmin && <Button size="sm" variant="ghost" icon="archive" onClick={() => setArchive(a)} aria-label={'Archive ' + a.email} title="Archive: stop syncing, keep its mail" />}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {isAdmin && (
          <form className="table-foot em-enrol" onSubmit={enrol} noValidate>
            <Icon name="user-plus" />
            <input className="input" type="email" value={email} onChange={e => { setEmail(e.target.value); setEnrolErr(''); }} disabled={!hasKey}
              placeholder={'ann@' + ((status.team_domains || [])[0] || 'fund.example')} aria-label="Mailbox to enrol" aria-invalid={enrolErr ? 'true' : undefined} />
            <Button size="sm" type="submit" pending={pending === 'enrol'} disabled={!hasKey}>Enrol mailbox</Button>
            <span className={cx('em-enrol-note', enrolErr && 'is-error')}>{enrolErr ? <><Icon name="alert-circle" />{enrolErr}</> : hasKey ? 'Google is asked at once whether the key may read it.' : 'Upload the Google service-account key first.'}</span>
          </form>
        )}
      </div>
      {archive && (
        <ConfirmDialog title={'Archive ' + archive.email + '?'} confirmLabel="Archive mailbox"
          body={<>It stops syncing. The {plural(archive.messages || 0, 'message')} it gave stay in Communications, and you can enrol it again later.</>}
          onConfirm={async () => { await api('/api/email/accounts/' + encodeURIComponent(archive.id), { method: 'DELETE' }); toast('Archived ' + archive.email + '. Its mail is kept.'); onChange(); }}
          onClose={() => setArchive(null)} />
      )}
    </section>
  );
}

function MailKeyCard({ account, onSaved }) {
  const toast = useToast();
  const input = useRef(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const send = async file => {
    setPending(true); setError('');
    try {
      const r = await api('/api/admin/email/service-account', { method: 'POST', body: file, contentType: 'application/json' });
      toast('Key stored for ' + r.data.client_email + '. Enrol the team’s mailboxes next.');
      onSaved();
    } catch (err) { setError(err.message); }
    setPending(false);
  };
  return (
    <div className="card em-card">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="key" /></span>
        <div className="spacer"><h2>Google Workspace key</h2><p>A service account with domain-wide delegation reads the team’s mailboxes. Nothing is ever sent from them.</p></div>
      </div>
      <div className="em-card-body">
        {account ? (
          <div className="em-key">
            <span className="bk-verify-icon em-key-ok"><Icon name="check" strokeWidth={2.5} /></span>
            <div className="em-key-text"><div className="em-key-email" title={account.client_email}>{account.client_email}</div><div className="muted small">Project {account.project_id} · stored on this server, never shown again</div></div>
          </div>
        ) : (
          <ol className="em-steps">
            <li>In Google Cloud, create a service account and download its JSON key.</li>
            <li>In the Workspace admin console, grant it domain-wide delegation for <code>gmail.readonly</code> and <code>gmail.compose</code> (drafts only).</li>
            <li>Upload the key here, then enrol each mailbox.</li>
          </ol>
        )}
        <FormError>{error}</FormError>
        <input ref={input} type="file" accept=".json,application/json" className="sr-only" tabIndex={-1} aria-label="Service-account key file"
          onChange={e => { const f = e.target.files && e.target.files[0]; if (f) send(f); e.target.value = ''; }} />
        <div className="em-card-actions"><Button icon="upload" pending={pending} onClick={() => input.current.click()}>{account ? 'Replace key…' : 'Upload key…'}</Button></div>
      </div>
    </div>
  );
}

function MailImportCard({ teamDomain, onDone }) {
  const [file, setFile] = useState(null);
  const [mailbox, setMailbox] = useState('');
  const [run, setRun] = useState(null);
  const [result, setResult] = useState(null);
  const [error, setError] = useState('');
  const [over, setOver] = useState(false);
  const [allErrors, setAllErrors] = useState(false);
  const input = useRef(null);
  const choose = f => { if (!f) return; setFile(f); setResult(null); setError(''); };
  const start = async () => {
    if (!file) return;
    const box = mailbox.trim();
    if (box && !EMAIL_RE.test(box)) { setError('The mailbox must be an email address, or left empty.'); return; }
    const id = 'up' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    const q = new URLSearchParams({ upload: id });
    if (box) q.set('mailbox', box);
    setRun({ phase: 'upload', loaded: 0, total: file.size, messages: 0, read: 0 }); setError(''); setResult(null);
    let timer = null, done = false;
    // The server counts what it has read; asked only once it has surely started (no 404 first).
    const poll = async () => {
      if (done) return;
      try { const r = await api('/api/email/import/' + id); if (!done) setRun(x => x && { ...x, messages: r.data.messages, read: r.data.bytes }); } catch (e) { /* gone or not yet */ }
      if (!done) timer = setTimeout(poll, 400);
    };
    const t0 = Date.now();
    try {
      const r = await apiUpload('/api/email/import?' + q, file, {
        contentType: /\.eml$/i.test(file.name) ? 'message/rfc822' : 'application/mbox',
        onProgress: (loaded, total) => { setRun(x => x && { ...x, loaded, total: total || x.total }); if (!timer && loaded > (4 << 20)) timer = setTimeout(poll, 200); },
        onSent: () => { setRun(x => x && { ...x, phase: 'process', loaded: x.total }); if (!timer) timer = setTimeout(poll, 250); },
      });
      done = true; clearTimeout(timer);
      setResult({ ...r.data, name: file.name, size: file.size, seconds: (Date.now() - t0) / 1000 });
      setRun(null); setFile(null);
      onDone();
    } catch (err) { done = true; clearTimeout(timer); setRun(null); setError(err.message); }
  };
  const pct = run ? Math.min(100, Math.round(((run.phase === 'upload' ? run.loaded : Math.max(run.read, run.loaded)) / (run.total || 1)) * 100)) : 0;
  const errors = (result && result.errors) || [];
  return (
    <div className="card em-card em-import">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="upload" /></span>
        <div className="spacer"><h2>Import mail</h2><p>A Google Takeout .mbox or one .eml, matched like synced mail. Importing the same file again stores nothing twice.</p></div>
      </div>
      <div className="em-card-body">
        {run ? (
          <div className="em-progress" role="status" aria-live="polite">
            <div className="em-progress-top">
              <span className="imp-file-icon"><Icon name="file-text" /></span>
              <div className="spacer em-progress-text">
                <div className="em-progress-title">{run.phase === 'upload' ? 'Uploading ' + file.name : 'Reading ' + file.name}</div>
                <div className="muted small">{run.phase === 'upload' ? fmtBytes(run.loaded) + ' of ' + fmtBytes(run.total) + ' uploaded · ' + pct + '%' : fmtBytes(Math.max(run.read, run.loaded)) + ' of ' + fmtBytes(run.total) + ' read'}
                  {run.messages > 0 && <> · <b className="em-progress-n">{run.messages.toLocaleString()}</b> messages stored</>}</div>
              </div>
            </div>
            <div className="imp-bar" role="progressbar" aria-label={run.phase === 'upload' ? 'Upload progress' : 'Import progress'} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
              <span style={{ width: pct + '%' }} />
            </div>
            <ol className="imp-steps">
              <li className={run.phase === 'upload' ? 'is-current' : 'is-done'}><Icon name={run.phase === 'upload' ? 'upload' : 'check'} />Upload</li>
              <li className={run.phase === 'upload' ? '' : 'is-current'}><Icon name="inbox" />Read and thread</li>
              <li><Icon name="link" />Match to investors</li>
            </ol>
          </div>
        ) : result ? (
          <div className="em-result">
            <div className="em-result-head">
              <StateIcon icon="check" tone="green" />
              <div className="spacer"><h3>{result.new ? 'Imported ' + plural(result.new, 'new message') : 'Nothing new: every message was already stored'}</h3>
                <p className="muted small">{result.name} · {fmtBytes(result.size)} · {result.seconds < 1 ? 'under a second' : result.seconds.toFixed(1) + ' s'}</p></div>
            </div>
            <div className="em-result-stats">
              {[['messages', 'Messages', ''], ['new', 'New', 'is-green'], ['duplicates', 'Duplicates', ''], ['matched', 'Matched', 'is-indigo'], ['unmatched', 'Unmatched', '']].map(([k, label, tone]) => (
                <div key={k} className={cx('imp-stat', result[k] > 0 && tone)} data-count={k}><div className="imp-stat-n">{(result[k] || 0).toLocaleString()}</div><div className="imp-stat-l">{label}</div></div>
              ))}
            </div>
            {errors.length > 0 && (
              <Callout tone="warn" title={plural(errors.length, 'message') + ' could not be read'}>
                <ul className="em-errors">{(allErrors ? errors : errors.slice(0, 5)).map((e, i) => <li key={i}>{mailErrorText(e)}</li>)}</ul>
                {errors.length > 5 && <button type="button" className="link-btn small" onClick={() => setAllErrors(a => !a)}>{allErrors ? 'Show fewer' : 'Show all ' + errors.length}</button>}
              </Callout>
            )}
            <div className="em-card-actions">
              <Button icon="mail" onClick={() => navigate('#/communications')}>Open Communications</Button>
              <Button variant="ghost" icon="upload" onClick={() => { setResult(null); setTimeout(() => input.current && input.current.click(), 0); }}>Import another file</Button>
            </div>
          </div>
        ) : (
          <>
            <div className={cx('em-drop', over && 'is-over', file && 'has-file')} role="button" tabIndex={0} aria-label={file ? 'Chosen: ' + file.name + '. Choose another file' : 'Choose an .mbox or .eml file'}
              onClick={() => input.current.click()} onKeyDown={e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.current.click(); } }}
              onDragOver={e => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)}
              onDrop={e => { e.preventDefault(); setOver(false); choose(e.dataTransfer.files && e.dataTransfer.files[0]); }}>
              <span className="em-drop-icon"><Icon name={file ? 'file-text' : 'upload'} /></span>
              {file ? <span className="em-drop-text"><b className="em-drop-name">{file.name}</b><span className="muted small">{fmtBytes(file.size)} · click to choose another</span></span>
                : <span className="em-drop-text"><b>Choose a file</b><span className="muted small">or drop an .mbox or .eml here</span></span>}
            </div>
            <input ref={input} type="file" accept=".mbox,.eml,.mbx,application/mbox,message/rfc822" className="sr-only" tabIndex={-1} aria-label="Mail file to import"
              onChange={e => { choose(e.target.files && e.target.files[0]); e.target.value = ''; }} />
            <div className="em-import-row">
              <label className="em-import-box">
                <span className="field-label">Team mailbox<span className="opt">Optional</span></span>
                <input className="input" type="email" value={mailbox} onChange={e => { setMailbox(e.target.value); setError(''); }} placeholder={'ann@' + (teamDomain || 'fund.example')} />
              </label>
              <Button variant="primary" icon="upload" disabled={!file} onClick={start}>Import</Button>
            </div>
            <div className="field-hint em-import-hint">Whose mail this is. Left empty, each message goes to its team sender or first team recipient.</div>
            <FormError>{error}</FormError>
          </>
        )}
      </div>
    </div>
  );
}

function MailRuns({ runs, limit, onMore }) {
  const [open, setOpen] = useState(null);
  return (
    <section aria-labelledby="em-runs-title">
      <div className="toolbar em-toolbar">
        <div className="spacer">
          <h2 className="section-title" id="em-runs-title">Sync runs</h2>
          <div className="muted small">Every sync and import, newest first, with what it fetched and stored.</div>
        </div>
      </div>
      <div className="table-card">
        <div className="table-scroll">
          <table className="table em-runs">
            <thead><tr><th>Started</th><th>Mailbox</th><th>Kind</th><th>Status</th><th>Counts</th><th className="num">Duration</th><th className="actions-col"><span className="sr-only">Errors</span></th></tr></thead>
            <tbody>
              {!runs.length ? <TableEmpty cols={7} icon="history" title="Nothing has run yet">Syncs and imports are listed here with their counts and errors.</TableEmpty>
                : runs.map(r => {
                  const [label, tone] = MAIL_RUN_STATUS[r.status] || [capitalize(r.status), 'gray'];
                  const errs = [...(r.error ? [r.error] : []), ...(r.errors || [])];
                  return (
                    <React.Fragment key={r.id}>
                      <tr className={cx(open === r.id && 'is-open')}>
                        <td><div className="bk-when"><span title={fmtFull(r.started_at)}>{fmtAbs(r.started_at)}</span></div><div className="bk-sub"><Time value={r.started_at} /></div></td>
                        <td>{r.account ? <span className="em-run-box" title={r.account}>{r.account}</span> : <span className="faint" title="An upload: each message went to its team sender’s or recipient’s mailbox">From the file</span>}</td>
                        <td><div>{MAIL_RUN_KINDS[r.kind] || capitalize(r.kind)}</div><div className="bk-sub">{MAIL_TRIGGERS[r.trigger] || capitalize(String(r.trigger || ''))}</div></td>
                        <td>{r.status === 'running' ? <Pill tone="blue"><Spinner />Running</Pill> : <Pill tone={tone} dot>{label}</Pill>}</td>
                        <td className="em-run-counts">
                          <span><b>{(r.fetched || 0).toLocaleString()}</b> fetched</span>{' '}
                          <span><b>{(r.new || 0).toLocaleString()}</b> new</span>{' '}
                          {r.duplicates > 0 && <><span title="Already stored (seen in another mailbox or an earlier run)"><b>{r.duplicates.toLocaleString()}</b> known</span>{' '}</>}
                          <span><b>{(r.matched || 0).toLocaleString()}</b> matched</span>
                        </td>
                        <td className="num">{r.duration_ms === null || r.duration_ms === undefined ? <span className="faint">—</span> : r.duration_ms < 1000 ? r.duration_ms + ' ms' : (r.duration_ms / 1000).toFixed(1) + ' s'}</td>
                        <td className="actions-col">{errs.length > 0 && (
                          <button type="button" className={cx('em-run-errs', r.status === 'error' && 'is-bad')} aria-expanded={open === r.id ? 'true' : 'false'} onClick={() => setOpen(o => (o === r.id ? null : r.id))}>
                            <Icon name="alert-circle" />{plural(errs.length, 'error')}<Icon name={open === r.id ? 'chevron-up' : 'chevron-down'} />
                          </button>
                        )}</td>
                      </tr>
                      {open === r.id && (
                        <tr className="row-detail"><td colSpan={7}><ul className="em-errors">{errs.map((e, i) => <li key={i}>{mailErrorText(e)}</li>)}</ul></td></tr>
                      )}
                    </React.Fragment>
                  );
                })}
            </tbody>
          </table>
        </div>
        {runs.length >= limit && <div className="table-foot"><span>The latest {runs.length.toLocaleString()} runs</span><span className="spacer" /><Button size="sm" onClick={onMore}>Show more</Button></div>}
      </div>
    </section>
  );
}

function EmailTab({ user, route }) {
  const toast = useToast();
  const isAdmin = user.role === 'admin';
  const [runLimit, setRunLimit] = useState(MAIL_RUNS_SHOWN);
  const [state, reload] = useAsync(() => Promise.all([api('/api/email/status'), api('/api/email/sync/runs?limit=' + runLimit), api('/api/email/activity?limit=1')])
    .then(([s, r, a]) => ({ status: s.data || {}, runs: r.data || [], stored: typeof a.total === 'number' ? a.total : null })), [runLimit]);
  const [kickUntil, setKickUntil] = useState(0);
  const [propsKey, setPropsKey] = useState(0);
  useEffect(() => {  // back from Google's consent screen (#/settings?tab=email&connected=… or &error=…)
    const { connected, error } = route.query;
    if (connected) toast('Connected ' + connected + ': its mail syncs in the background.');
    if (error) toast('Gmail was not connected: ' + error, 'error');
    if (connected || error) navigate('#/settings/email', true);
  }, [route.query.connected, route.query.error]); // eslint-disable-line react-hooks/exhaustive-deps
  const d = state.data;
  const st = d && d.status;
  const busy = !!st && (st.running || (st.accounts || []).some(a => a.syncing) || d.runs.some(r => r.status === 'running'));
  const kicked = kickUntil > Date.now();
  useEffect(() => {  // while a sync runs (or was just asked for), read the status every few seconds
    if (!busy && !kicked) return undefined;
    const t = setInterval(() => { reload(true); if (kickUntil && kickUntil <= Date.now()) setKickUntil(0); }, busy ? 3000 : 1500);
    return () => clearInterval(t);
  }, [busy, kicked, reload, kickUntil]);
  const wasBusy = useRef(false);
  useEffect(() => { if (wasBusy.current && !busy) setPropsKey(k => k + 1); wasBusy.current = busy; }, [busy]);
  if (!d) return state.error ? <LoadError error={state.error} onRetry={reload} /> : <div className="stack-24"><div className="bk-stats">{[0, 1, 2, 3].map(i => <div key={i} className="card stat"><span className="sk sk-w40" /></div>)}</div></div>;
  const kick = () => { setKickUntil(Date.now() + 10000); reload(true); };
  const refresh = () => { reload(true); setPropsKey(k => k + 1); };
  return (
    <div className="stack-24 em-tab">
      <MailStats status={st} runs={d.runs} stored={d.stored} />
      {!st.enabled && (
        <Callout tone="info" title="Gmail sync is off">
          <div className="co-text">{isAdmin
            ? 'No Google service-account key is stored and nobody has connected a mailbox. Upload the key below and enrol the team’s mailboxes' + (st.oauth_enabled ? ', or connect your own Gmail' : '') + '. Until then, import a Google Takeout .mbox: it is matched the same way.'
            : 'An admin uploads the Google Workspace key to sync the team’s mailboxes' + (st.oauth_enabled ? ', or connect your own Gmail below' : '') + '. Meanwhile, import a Google Takeout .mbox: it is matched the same way.'}</div>
        </Callout>
      )}
      <MailProposals key={propsKey} onChanged={() => reload(true)} />
      <MailAccounts status={st} isAdmin={isAdmin} onChange={refresh} onKick={kick} />
      <div className={cx('em-cards', isAdmin && 'is-2')}>
        <MailImportCard teamDomain={(st.team_domains || [])[0]} onDone={refresh} />
        {isAdmin && <MailKeyCard account={st.service_account} onSaved={() => reload(true)} />}
      </div>
      <MailRuns runs={d.runs} limit={runLimit} onMore={() => setRunLimit(l => l + 40)} />
    </div>
  );
}

function ComingCard({ icon, title, text, points }) {
  return (
    <div className="card set-soon">
      <div className="set-soon-head"><StateIcon icon={icon} tone="indigo" /><Pill tone="indigo" dot>In development</Pill></div>
      <h2>{title}</h2>
      <p className="muted">{text}</p>
      <ul className="ph-list">{points.map(([b, rest]) => <li key={b}><Icon name="check" strokeWidth={2.25} /><span><b>{b}</b>{rest}</span></li>)}</ul>
    </div>
  );
}

function SettingsPage({ route, user }) {
  // #/settings?tab=email (the address Google's consent screen comes back to) is #/settings/email.
  const asked = route.query.tab;
  useEffect(() => {
    if (!asked) return;
    const rest = new URLSearchParams(route.query);
    rest.delete('tab');
    const tab = SETTINGS_TABS.some(t => t.id === asked) ? asked : SETTINGS_TABS[0].id;
    navigate('#/settings/' + tab + (rest.toString() ? '?' + rest : ''), true);
  }, [asked]); // eslint-disable-line react-hooks/exhaustive-deps
  if (asked) return null;
  return (
    <TabbedPage route={route} base="settings" tabs={SETTINGS_TABS.filter(t => !t.admin || user.role === 'admin')} title="Settings" label="Settings sections"
      lede="Backups of the fund’s data, email capture, chat intake, the daily digest and the search index. Everything is stored on this server.">
      {id => (
        <>
          {id === 'backups' && <BackupsTab user={user} />}
          {id === 'email' && <EmailTab user={user} route={route} />}
          {id === 'intake' && <IntakeTab />}
          {id === 'digest' && <DigestTab />}
          {id === 'search' && <SearchIndexTab />}
          {id === 'integrations' && (
            <div className="set-soon-grid">
              <ComingCard icon="sparkles" title="Local language model" text="An OpenAI-compatible endpoint on this box for drafts and matching."
                points={[['LP data stays local', ' or passes a redaction boundary.'], ['Deterministic fallback', ' when none is configured.']]} />
            </div>
          )}
        </>
      )}
    </TabbedPage>
  );
}

/* ---------- Admin: archive ---------- */

registerScreen({ path: '/settings', label: 'Settings', icon: 'sliders', title: 'Settings', Page: SettingsPage,
  section: 'Configure', order: 10, crumb: route => (SETTINGS_TABS.find(t => route.path === '/settings/' + t.id) || SETTINGS_TABS[0]).label });
