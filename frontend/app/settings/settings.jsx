const SETTINGS_TABS = [
  { id: 'backups', label: 'Backups', icon: 'database' },
  { id: 'mail', label: 'Mail & digest', icon: 'send', soon: true },
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
  return (
    <TabbedPage route={route} base="settings" tabs={SETTINGS_TABS} title="Settings" label="Settings sections"
      lede="Backups of the fund’s data, and (soon) mail and integrations. Everything is stored on this server.">
      {id => (
        <>
          {id === 'backups' && <BackupsTab user={user} />}
          {id === 'mail' && (
            <div className="set-soon-grid">
              <ComingCard icon="send" title="Outbound mail (SMTP)" text="Invitations and the digest go out through your own mail server, or the settings your host provides."
                points={[['Host, port and TLS', ' with a test message before saving.'], ['Sender address', ' your team recognises.'], ['Delivery log', ' of every message the server sends.']]} />
              <ComingCard icon="mail" title="Weekly digest" text="A Monday summary of the raise for the team, drafted from the grid’s numbers. Never sent to investors."
                points={[['Recipients', ', day and time.'], ['Committed vs. target', ' per fund, and what moved this week.'], ['Investors going cold', ' and next steps due.']]} />
            </div>
          )}
          {id === 'integrations' && (
            <div className="set-soon-grid is-3">
              <ComingCard icon="link" title="Gmail capture" text="Threads with investor contacts, matched by address and domain."
                points={[['Read-only', ' access to the mailboxes you connect.'], ['Matched to investors', ' automatically.']]} />
              <ComingCard icon="bot" title="Matrix intake bot" text="Notes and calls from chat, filed against the right investor."
                points={[['Service token', ' with intake scopes only.'], ['Every note', ' attributed to its source.']]} />
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
