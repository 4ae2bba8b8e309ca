/* ========================================================================
   Admin
   ======================================================================== */
const ADMIN_TABS = [
  { id: 'users', label: 'Users', icon: 'users' },
  { id: 'invites', label: 'Invites', icon: 'mail-plus' },
  { id: 'tokens', label: 'Service tokens', icon: 'key' },
  { id: 'audit', label: 'Audit log', icon: 'history' },
  { id: 'activity', label: 'Activity', icon: 'zap' },
  { id: 'archive', label: 'Archive', icon: 'archive' },
  { id: 'security', label: 'Security', icon: 'shield-check' },
];

// A page whose tabs live in the address (#/<base>/<tab>); an unknown tab goes to the first one.
function TabbedPage({ route, base, tabs, title, lede, label, children }) {
  const tabId = route.path.split('/')[2] || tabs[0].id;
  const tab = tabs.find(t => t.id === tabId);
  useEffect(() => { if (!tab) navigate('#/' + base + '/' + tabs[0].id, true); }, [tab]); // eslint-disable-line react-hooks/exhaustive-deps
  usePageTitle(tab ? tab.label + ' · ' + title : title);
  if (!tab) return null;
  return (
    <div className="page">
      <div className="page-head">
        <div><h1>{title}</h1><p>{lede}</p></div>
      </div>
      <nav className="tabs" aria-label={label}>
        {tabs.map(t => (
          <a key={t.id} href={'#/' + base + '/' + t.id} className={cx('tab', t.id === tab.id && 'is-active')} aria-current={t.id === tab.id ? 'page' : undefined}>
            <Icon name={t.icon} />{t.label}{t.soon && <span className="count">Soon</span>}
          </a>
        ))}
      </nav>
      {children(tab.id)}
    </div>
  );
}

function AdminPage({ route, user }) {
  return (
    <TabbedPage route={route} base="admin" tabs={ADMIN_TABS} title="Admin" label="Admin sections"
      lede="Manage who can access Venture CRM and the tokens your automations use, see what changed, bring back what was archived, and check how the server is secured.">
      {id => (
        <>
          {id === 'users' && <UsersTab me={user} />}
          {id === 'invites' && <InvitesTab />}
          {id === 'tokens' && <TokensTab />}
          {id === 'audit' && <AuditTab />}
          {id === 'activity' && <ActivityTab />}
          {id === 'archive' && <ArchiveTab />}
          {id === 'security' && <SecurityTab />}
        </>
      )}
    </TabbedPage>
  );
}

function LoadError({ error, onRetry }) {
  if (!error) return null;
  return (
    <div className="err-banner">
      <Callout tone="danger" title="Could not load this list">
        <div className="co-text">{error.message}</div>
        <div className="co-actions"><Button size="sm" icon="refresh" onClick={() => onRetry()}>Try again</Button></div>
      </Callout>
    </div>
  );
}

const ROLE_OPTIONS = [
  { value: 'member', label: 'Member', desc: 'Works in the grid, communications and pipeline.' },
  { value: 'admin', label: 'Admin', desc: 'Everything a member can, plus users, invites, tokens and security.' },
];

function RoleChoice({ value, onChange }) {
  return (
    <div className="field">
      <span className="field-label">Role</span>
      <div className="choice-grid" role="radiogroup" aria-label="Role">
        {ROLE_OPTIONS.map(o => (
          <label key={o.value} className={cx('checkbox', value === o.value && 'is-checked')}>
            <input type="radio" name="role" value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
            <span><span className="cb-title">{o.label}</span><span className="cb-desc">{o.desc}</span></span>
          </label>
        ))}
      </div>
    </div>
  );
}

function GenerateButton({ onGenerate, reveal }) {
  return <Button variant="secondary" icon="sparkles" onClick={() => { onGenerate(genPassword()); reveal(true); }} title="Generate a strong random password">Generate</Button>;
}

function CreateUserModal({ onClose, onCreated }) {
  const { f, setF, set, errors, setErrors, formError, setFormError, pending, setPending } = useForm({ username: '', email: '', password: '', role: 'member' });
  const submit = async e => {
    e.preventDefault();
    const errs = validateAccount(f);
    setErrors(errs); setFormError('');
    if (Object.keys(errs).length) return;
    setPending(true);
    try {
      const r = await api('/api/admin/users', { method: 'POST', body: { username: f.username.trim(), email: f.email.trim(), password: f.password, role: f.role } });
      onCreated(r.data);
    } catch (err) { setFormError(err.message); setPending(false); }
  };
  return (
    <Modal title="Create user" description="Set a starting password and share it securely; they can change it after signing in. To let people pick their own, send an invite instead." onClose={onClose} wide>
      <form onSubmit={submit} noValidate>
        <div className="modal-body">
          <div className="choice-grid">
            <TextField label="Username" name="username" value={f.username} onChange={set('username')} error={errors.username} autoFocus autoComplete="off" autoCapitalize="none" spellCheck="false" />
            <TextField label="Email" name="email" type="email" value={f.email} onChange={set('email')} error={errors.email} autoComplete="off" />
          </div>
          <PasswordField label="Starting password" name="password" value={f.password} onChange={set('password')} error={errors.password}
            autoComplete="new-password" hint={'At least ' + MIN_PASSWORD + ' characters.'} extra={reveal => <GenerateButton onGenerate={set('password')} reveal={reveal} />} />
          <div className="divider" />
          <RoleChoice value={f.role} onChange={set('role')} />
          {formError && <div className="field"><FormError>{formError}</FormError></div>}
        </div>
        <FormFoot onCancel={onClose} icon="user-plus" pending={pending} label="Create user" />
      </form>
    </Modal>
  );
}

function ResetPasswordModal({ target, isMe, onClose, onDone }) {
  const [pw, setPw] = useState('');
  const [error, setError] = useState('');
  const [formError, setFormError] = useState('');
  const [pending, setPending] = useState(false);
  const submit = async e => {
    e.preventDefault();
    if (pw.length < MIN_PASSWORD) { setError('Use at least ' + MIN_PASSWORD + ' characters.'); return; }
    setPending(true); setFormError('');
    try {
      const r = await api('/api/admin/users/' + encodeURIComponent(target.id), { method: 'PATCH', body: { password: pw } });
      onDone(r.data);
    } catch (err) { setFormError(err.message); setPending(false); }
  };
  return (
    <Modal title={'Reset password for ' + target.username} description={isMe ? 'This is your own account: you will be signed out here and everywhere else.' : 'They are signed out everywhere and must sign in with the new password.'} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <div className="modal-body">
          <PasswordField label="New password" name="password" value={pw} onChange={v => { setPw(v); setError(''); }} error={error} autoComplete="new-password"
            autoFocus hint="Share it with them over a secure channel." extra={reveal => <GenerateButton onGenerate={setPw} reveal={reveal} />} />
          {formError && <div className="field"><FormError>{formError}</FormError></div>}
        </div>
        <FormFoot onCancel={onClose} pending={pending} label="Reset password" />
      </form>
    </Modal>
  );
}

function UsersTab({ me }) {
  const toast = useToast();
  const [state, reload, setState] = useAsync(() => api('/api/users').then(r => r.data || []), []);
  const [q, setQ] = useState('');
  const [busy, setBusy] = useState({});
  const [rowError, setRowError] = useState(null);
  const [modal, setModal] = useState(null);
  const users = state.data || [];
  const replace = u => setState(s => ({ ...s, data: (s.data || []).map(x => (x.id === u.id ? u : x)) }));
  const patch = async (u, changes, msg) => {
    setBusy(b => ({ ...b, [u.id]: true })); setRowError(null);
    try {
      const r = await api('/api/admin/users/' + encodeURIComponent(u.id), { method: 'PATCH', body: changes });
      replace(r.data);
      toast(msg);
    } catch (err) {
      setRowError({ id: u.id, msg: err.message });
      throw err;
    } finally {
      setBusy(b => ({ ...b, [u.id]: false }));
    }
  };
  const filtered = useMemo(() => {
    const s = q.trim().toLowerCase();
    const list = s ? users.filter(u => (u.username + ' ' + u.email + ' ' + u.role).toLowerCase().includes(s)) : users;
    return list.slice().sort((a, b) => (b.is_active - a.is_active) || String(a.username).localeCompare(String(b.username)));
  }, [users, q]);
  const admins = users.filter(u => u.role === 'admin' && u.is_active).length;
  const active = users.filter(u => u.is_active).length;
  return (
    <div>
      <div className="toolbar">
        <div className="search"><Icon name="search" /><input className="input" placeholder="Filter users" value={q} onChange={e => setQ(e.target.value)} aria-label="Filter users" /></div>
        <span className="summary">{state.data ? plural(active, 'active user') + ' · ' + plural(admins, 'admin') : ''}</span>
        <span className="spacer" />
        <Button variant="primary" icon="user-plus" onClick={() => setModal({ kind: 'create' })}>New user</Button>
      </div>
      <LoadError error={state.error} onRetry={reload} />
      <div className="table-card">
        <div className="table-scroll">
          <table className="table">
            <thead><tr><th>User</th><th>Role</th><th>Status</th><th>Created</th><th>Last sign-in</th><th className="actions-col"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {state.loading && !state.data ? <SkeletonRows cols={6} /> : filtered.length === 0 ? (
                <TableEmpty cols={6} icon="users" title={q ? 'No users match “' + q + '”' : 'No users yet'} />
              ) : filtered.map(u => {
                const isMe = u.id === me.id;
                return (
                  <React.Fragment key={u.id}>
                    <tr className={cx(!u.is_active && 'is-dim')}>
                      <td>
                        <div className="who">
                          <Avatar name={u.username} />
                          <div><div className="who-name">{u.username}{isMe && <span className="you">You</span>}</div><div className="who-sub">{u.email}</div></div>
                        </div>
                      </td>
                      <td>
                        <select className="select select-sm" value={u.role} disabled={busy[u.id]} aria-label={'Role of ' + u.username}
                          onChange={e => patch(u, { role: e.target.value }, u.username + ' is now ' + (e.target.value === 'admin' ? 'an admin' : 'a member') + '.').catch(() => {})}>
                          <option value="member">Member</option><option value="admin">Admin</option>
                        </select>
                      </td>
                      <td>{u.is_active ? <Pill tone="green" dot>Active</Pill> : <Pill tone="gray" dot>Deactivated</Pill>}</td>
                      <td className="muted"><Time value={u.created_at} /></td>
                      <td className="muted"><Time value={u.last_login_at} fallback="Never" /></td>
                      <td className="actions-col">
                        {busy[u.id] ? <Spinner /> : (
                          <Menu label={'Actions for ' + u.username} button={({ toggle, props }) => <button type="button" className="icon-btn" onClick={toggle} {...props}><Icon name="more" /></button>}>
                            {close => (
                              <>
                                <MenuItem icon="rotate-key" onClick={() => { close(); setModal({ kind: 'reset', user: u }); }}>Reset password…</MenuItem>
                                <MenuItem icon="crown" onClick={() => { close(); patch(u, { role: u.role === 'admin' ? 'member' : 'admin' }, u.username + ' is now ' + (u.role === 'admin' ? 'a member' : 'an admin') + '.').catch(() => {}); }}>
                                  {u.role === 'admin' ? 'Make member' : 'Make admin'}
                                </MenuItem>
                                <div className="menu-sep" />
                                {u.is_active
                                  ? <MenuItem icon="user-x" danger onClick={() => { close(); setModal({ kind: 'deactivate', user: u }); }}>Deactivate…</MenuItem>
                                  : <MenuItem icon="user-check" onClick={() => { close(); patch(u, { is_active: true }, u.username + ' can sign in again.').catch(() => {}); }}>Reactivate</MenuItem>}
                              </>
                            )}
                          </Menu>
                        )}
                      </td>
                    </tr>
                    {rowError && rowError.id === u.id && (
                      <tr className="row-error"><td colSpan={6}>
                        <div className="row"><Icon name="alert-circle" /><span className="spacer">Couldn’t update {u.username}: {rowError.msg}</span>
                          <button type="button" className="icon-btn" onClick={() => setRowError(null)} aria-label="Dismiss"><Icon name="x" /></button></div>
                      </td></tr>
                    )}
                  </React.Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      </div>
      {modal && modal.kind === 'create' && (
        <CreateUserModal onClose={() => setModal(null)} onCreated={u => { setModal(null); setState(s => ({ ...s, data: [...(s.data || []), u] })); toast('Created ' + u.username + '.'); }} />
      )}
      {modal && modal.kind === 'reset' && (
        <ResetPasswordModal target={modal.user} isMe={modal.user.id === me.id} onClose={() => setModal(null)} onDone={u => { setModal(null); if (u) replace(u); toast('Password reset for ' + modal.user.username + '.'); }} />
      )}
      {modal && modal.kind === 'deactivate' && (
        <ConfirmDialog title={'Deactivate ' + modal.user.username + '?'} confirmLabel="Deactivate"
          body={modal.user.id === me.id ? 'This is your own account: you will be signed out and cannot sign back in until another admin reactivates you.' : 'They are signed out everywhere and cannot sign in until an admin reactivates them. Their history stays intact.'}
          onConfirm={() => patch(modal.user, { is_active: false }, modal.user.username + ' was deactivated.')} onClose={() => setModal(null)} />
      )}
    </div>
  );
}

const INVITE_TONE = { pending: 'blue', accepted: 'green', expired: 'gray', revoked: 'red' };

function absoluteUrl(u) {
  if (!u) return '';
  if (/^https?:\/\//i.test(u)) return u;
  return window.location.origin + (u.startsWith('/') ? '' : '/') + u;
}

function useUserNames() {
  const [names, setNames] = useState({});
  useEffect(() => {
    let live = true;
    api('/api/users').then(r => { if (live) { const m = {}; (r.data || []).forEach(u => { m[u.id] = u.username; }); setNames(m); } }).catch(() => {});
    return () => { live = false; };
  }, []);
  return names;
}

function personName(v, names) {
  if (!v) return null;
  if (typeof v === 'object') return v.name || v.username || v.id || null;
  return names[v] || null;
}

function InvitesTab() {
  const toast = useToast();
  const names = useUserNames();
  const [state, reload, setState] = useAsync(() => api('/api/admin/invites').then(r => r.data || []), []);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const [error, setError] = useState('');
  const [pending, setPending] = useState(false);
  const [created, setCreated] = useState(null);
  const [revoke, setRevoke] = useState(null);
  const [showAll, setShowAll] = useState(true);
  const submit = async e => {
    e.preventDefault();
    if (!EMAIL_RE.test(email.trim())) { setError('Enter a valid email address.'); return; }
    setPending(true); setError('');
    try {
      const r = await api('/api/admin/invites', { method: 'POST', body: { email: email.trim(), role } });
      const inv = r.data;
      setCreated(inv);
      setEmail('');
      reload(true);
      toast('Invitation created for ' + inv.email + '.');
    } catch (err) { setError(err.message); }
    setPending(false);
  };
  const list = (state.data || []).slice().sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const pendingCount = list.filter(i => i.status === 'pending').length;
  const shown = showAll ? list : list.filter(i => i.status === 'pending');
  return (
    <div className="stack-24">
      <div className="card card-pad">
        <div className="section-title">Invite a teammate</div>
        <p className="muted small" style={{ marginTop: 4, marginBottom: 16 }}>They get a one-time link to choose their own username and password. Links expire after a few days.</p>
        <form onSubmit={submit} noValidate className="inline-form">
          <Field error={error}>
            <input className="input" type="email" name="email" placeholder="name@yourfund.com" value={email} onChange={e => { setEmail(e.target.value); setError(''); }}
              aria-label="Email address to invite" autoFocus autoComplete="off" />
          </Field>
          <select className="select" value={role} onChange={e => setRole(e.target.value)} aria-label="Role">
            <option value="member">Member</option><option value="admin">Admin</option>
          </select>
          <Button type="submit" variant="primary" icon="send" pending={pending}>Create invite</Button>
        </form>
      </div>
      {created && (
        <Callout tone={created.email_sent ? 'success' : 'warn'} icon={created.email_sent ? 'check-circle' : 'mail'}
          title={'Invitation for ' + created.email + ' (' + (created.role === 'admin' ? 'Admin' : 'Member') + ')'} onDismiss={() => setCreated(null)}>
          <div className="co-text">
            {created.email_sent
              ? <>We emailed this link to <b>{created.email}</b>. You can also share it yourself.</>
              : <>The email was <b>not sent</b>{created.email_error ? ' (' + created.email_error + ')' : ' (outbound mail is not configured)'}. Copy the link and send it to them yourself.</>}
            {' '}It works once and expires <Time value={created.expires_at} />. For security it is shown only now.
          </div>
          <CopyField value={absoluteUrl(created.url) || (window.location.origin + '/#/accept-invite?token=' + encodeURIComponent(created.token || ''))} label="Copy link" />
        </Callout>
      )}
      <div>
        <div className="toolbar">
          <span className="section-title">Invitations</span>
          <span className="summary">{state.data ? pendingCount + ' pending · ' + plural(list.length, 'total', 'total') : ''}</span>
          <span className="spacer" />
          <div className="seg" role="group" aria-label="Which invitations to show">
            <button type="button" className={cx('seg-btn', showAll && 'is-on')} aria-pressed={showAll ? 'true' : 'false'} onClick={() => setShowAll(true)}>All</button>
            <button type="button" className={cx('seg-btn', !showAll && 'is-on')} aria-pressed={!showAll ? 'true' : 'false'} onClick={() => setShowAll(false)}>Pending</button>
          </div>
          <Button size="sm" variant="ghost" icon="refresh" onClick={() => reload(true)} aria-label="Refresh" />
        </div>
        <LoadError error={state.error} onRetry={reload} />
        <div className="table-card"><div className="table-scroll">
          <table className="table">
            <thead><tr><th>Email</th><th>Role</th><th>Status</th><th>Invited by</th><th>Sent</th><th>Expires</th><th className="actions-col"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {state.loading && !state.data ? <SkeletonRows cols={7} rows={3} /> : shown.length === 0 ? (
                <TableEmpty cols={7} icon="mail-plus" title={showAll ? 'No invitations yet' : 'No pending invitations'}>Invite partners and associates with the form above.</TableEmpty>
              ) : shown.map(inv => (
                <tr key={inv.id} className={cx(inv.status !== 'pending' && 'is-dim')}>
                  <td><div className="who"><Avatar name={inv.email} size="sm" /><span className="who-name">{inv.email}</span></div></td>
                  <td><RolePill role={inv.role} /></td>
                  <td><Pill tone={INVITE_TONE[inv.status] || 'gray'} dot>{capitalize(inv.status)}</Pill></td>
                  <td className="muted">{personName(inv.created_by, names) || <span className="faint">—</span>}</td>
                  <td className="muted"><Time value={inv.created_at} /></td>
                  <td className="muted">{inv.status === 'pending' ? <Time value={inv.expires_at} /> : <span className="faint">—</span>}</td>
                  <td className="actions-col">
                    {inv.status === 'pending' && <Button size="sm" variant="danger-ghost" onClick={() => setRevoke(inv)}>Revoke</Button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div></div>
      </div>
      {revoke && (
        <ConfirmDialog title={'Revoke the invitation for ' + revoke.email + '?'} confirmLabel="Revoke invitation"
          body="The link stops working immediately. You can send a new invitation later."
          onConfirm={async () => {
            await api('/api/admin/invites/' + encodeURIComponent(revoke.id), { method: 'DELETE' });
            setState(s => ({ ...s, data: (s.data || []).map(i => (i.id === revoke.id ? { ...i, status: 'revoked' } : i)) }));
            if (created && created.id === revoke.id) setCreated(null);
            toast('Invitation for ' + revoke.email + ' revoked.');
            reload(true);
          }}
          onClose={() => setRevoke(null)} />
      )}
    </div>
  );
}

const SCOPES = [
  { id: 'intake:match', desc: 'Look up investors by name or email to find a match. Read-only.' },
  { id: 'intake:write', desc: 'Create investors and contacts, and log communications from intake.' },
  { id: 'grid:read', desc: 'Read the fundraising grid, views and row history.' },
  { id: 'grid:write', desc: 'Create and edit grid rows and columns.' },
];

// Mint a service token (its secret is in the answer, once); the scopes in the list's order.
async function createServiceToken(name, scopes) {
  const ordered = SCOPES.map(s => s.id).filter(id => scopes.includes(id));
  return (await api('/api/admin/service-tokens', { method: 'POST', body: { name, scopes: ordered } })).data;
}

// A token just created: the secret, shown this once with a copy button, and what to do with it
// (`children`: a request it can make, or the bot's environment block).
function TokenShownOnce({ token, onDismiss, children }) {
  return (
    <Callout tone="warn" icon="key" title={'Copy the token for “' + token.name + '” now'} onDismiss={onDismiss}>
      <div className="co-text">It is shown <b>only once</b> and cannot be recovered. Store it in the tool’s secret configuration; if it is lost, revoke it and create a new one.</div>
      <CopyField value={token.token} label="Copy token" />
      {children}
    </Callout>
  );
}

function CreateTokenModal({ onClose, onCreated }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState(['intake:match', 'intake:write']);
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState('');
  const [pending, setPending] = useState(false);
  const toggle = id => { setScopes(s => (s.includes(id) ? s.filter(x => x !== id) : [...s, id])); setErrors(e => ({ ...e, scopes: undefined })); };
  const submit = async e => {
    e.preventDefault();
    const errs = {};
    if (!name.trim()) errs.name = 'Give the token a name you will recognise later.';
    if (!scopes.length) errs.scopes = 'Pick at least one scope.';
    setErrors(errs); setFormError('');
    if (Object.keys(errs).length) return;
    setPending(true);
    try { onCreated(await createServiceToken(name.trim(), scopes)); } catch (err) { setFormError(err.message); setPending(false); }
  };
  return (
    <Modal title="New service token" description="For bots and scripts. Grant only the scopes the tool needs." onClose={onClose} wide>
      <form onSubmit={submit} noValidate>
        <div className="modal-body">
          <TextField label="Name" name="name" value={name} onChange={v => { setName(v); setErrors(e => ({ ...e, name: undefined })); }} error={errors.name}
            autoFocus autoComplete="off" placeholder="e.g. Matrix intake bot" />
          <div className="field">
            <span className="field-label">Scopes</span>
            <div className="choice-list">
              {SCOPES.map(s => (
                <label key={s.id} className={cx('checkbox', scopes.includes(s.id) && 'is-checked')}>
                  <input type="checkbox" name="scopes" value={s.id} checked={scopes.includes(s.id)} onChange={() => toggle(s.id)} />
                  <span><span className="cb-title"><code>{s.id}</code></span><span className="cb-desc">{s.desc}</span></span>
                </label>
              ))}
            </div>
            {errors.scopes && <div className="field-error"><Icon name="alert-circle" />{errors.scopes}</div>}
          </div>
          {formError && <div className="field"><FormError>{formError}</FormError></div>}
        </div>
        <FormFoot onCancel={onClose} icon="key" pending={pending} label="Create token" />
      </form>
    </Modal>
  );
}

// A request this token can make now, read from the server's own route table (the OpenAPI
// document), so the example never names an endpoint that does not exist: a GET without path
// parameters first, else any operation the scopes allow. null when no route takes these scopes yet.
let openapiDoc = null;
function apiExample(doc, scopes) {
  if (!doc || !doc.paths) return null;
  const found = [];
  Object.entries(doc.paths).forEach(([path, ops]) => Object.entries(ops).forEach(([method, op]) => {
    if (op && op['x-scope'] && (scopes || []).includes(op['x-scope'])) found.push({ method: method.toUpperCase(), path, op });
  }));
  const rank = e => (e.method === 'GET' ? 0 : 2) + (/\{/.test(e.path) ? 1 : 0);
  found.sort((a, b) => rank(a) - rank(b) || a.path.length - b.path.length);
  return found[0] || null;
}
function useApiExample(scopes) {
  const [doc, setDoc] = useState(openapiDoc);
  useEffect(() => {
    if (openapiDoc || !scopes) return undefined;
    let live = true;
    fetch('/api/openapi.json').then(r => r.json()).then(d => { openapiDoc = d; if (live) setDoc(d); }).catch(() => {});
    return () => { live = false; };
  }, [scopes]);
  return scopes ? apiExample(doc, scopes) : null;
}

function TokensTab() {
  const toast = useToast();
  const names = useUserNames();
  const [state, reload, setState] = useAsync(() => api('/api/admin/service-tokens').then(r => r.data || []), []);
  const [modal, setModal] = useState(false);
  const [created, setCreated] = useState(null);
  const example = useApiExample(created && created.scopes);
  const [revoke, setRevoke] = useState(null);
  const list = (state.data || []).slice().sort((a, b) => (!!a.revoked_at - !!b.revoked_at) || String(b.created_at).localeCompare(String(a.created_at)));
  const activeCount = list.filter(t => !t.revoked_at).length;
  return (
    <div className="stack-24">
      <div className="toolbar">
        <div>
          <div className="section-title">Service tokens</div>
          <div className="muted small">Let the Matrix intake bot, imports and scripts call the API with a scoped key, sent as the <code>X-API-Key</code> header.</div>
        </div>
        <span className="spacer" />
        <Button variant="primary" icon="plus" onClick={() => setModal(true)}>New token</Button>
      </div>
      {created && (
        <TokenShownOnce token={created} onDismiss={() => setCreated(null)}>
          {example && (
            <div className="code-line" title={example.op.summary || ''}>
              <span className="c-dim">$ </span>curl{example.method !== 'GET' ? ' -X ' + example.method : ''} -H "X-API-Key: <span className="c-var">$VCRM_TOKEN</span>"
              {example.method !== 'GET' && example.method !== 'DELETE' ? <> -H "Content-Type: application/json" -d <span className="c-var">'{'{…}'}'</span></> : null} "{window.location.origin}{example.path}"
            </div>
          )}
          {!example && <div className="muted small">No endpoint takes {created.scopes && created.scopes.length === 1 ? 'this scope' : 'these scopes'} yet; the tool that needs {created.scopes && created.scopes.length === 1 ? 'it' : 'them'} arrives with its feature.</div>}
        </TokenShownOnce>
      )}
      <LoadError error={state.error} onRetry={reload} />
      <div className="table-card"><div className="table-scroll">
        <table className="table">
          <thead><tr><th>Name</th><th>Token</th><th>Scopes</th><th>Created</th><th>Last used</th><th>Status</th><th className="actions-col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {state.loading && !state.data ? <SkeletonRows cols={7} rows={3} /> : list.length === 0 ? (
              <TableEmpty cols={7} icon="key" title="No service tokens">Create one for the Matrix intake bot or an import script.</TableEmpty>
            ) : list.map(t => (
              <tr key={t.id} className={cx(t.revoked_at && 'is-dim')}>
                <td><div className="who"><span className="avatar av-bot"><Icon name="bot" /></span><span className="who-name">{t.name}</span></div></td>
                <td><code className="muted">{t.prefix ? t.prefix + '…' : '—'}</code></td>
                <td><div className="chips">{(t.scopes || []).map(s => <span className="chip" key={s}>{s}</span>)}</div></td>
                <td className="muted"><div><Time value={t.created_at} /></div>{personName(t.created_by, names) && <div className="small faint">by {personName(t.created_by, names)}</div>}</td>
                <td className="muted"><Time value={t.last_used_at} fallback="Never" /></td>
                <td>{t.revoked_at ? <Pill tone="gray" dot title={fmtFull(t.revoked_at)}>Revoked</Pill> : <Pill tone="green" dot>Active</Pill>}</td>
                <td className="actions-col">{!t.revoked_at && <Button size="sm" variant="danger-ghost" onClick={() => setRevoke(t)}>Revoke</Button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {state.data && <div className="table-foot">{plural(activeCount, 'active token')}</div>}
      </div>
      <McpCard onCreated={() => reload(true)} />
      {modal && <CreateTokenModal onClose={() => setModal(false)} onCreated={t => { setModal(false); setCreated(t); reload(true); toast('Service token “' + t.name + '” created.'); }} />}
      {revoke && (
        <ConfirmDialog title={'Revoke “' + revoke.name + '”?'} confirmLabel="Revoke token"
          body={<>Anything using this token (prefix <code>{revoke.prefix}…</code>) gets <b>403/401</b> from now on. This cannot be undone.</>}
          onConfirm={async () => {
            await api('/api/admin/service-tokens/' + encodeURIComponent(revoke.id), { method: 'DELETE' });
            setState(s => ({ ...s, data: (s.data || []).map(t => (t.id === revoke.id ? { ...t, revoked_at: new Date().toISOString() } : t)) }));
            if (created && created.id === revoke.id) setCreated(null);
            toast('Token “' + revoke.name + '” revoked.');
            reload(true);
          }}
          onClose={() => setRevoke(null)} />
      )}
    </div>
  );
}

function parseDetails(d) {
  if (typeof d === 'string' && /^[\[{]/.test(d.trim())) { try { return JSON.parse(d); } catch (e) { return d; } }
  return d;
}

// A logged value as a person reads it: "empty", 1,000,000, Jun 14, 2026, "Ann Lee, Bob Stone";
// never null, raw JSON or ids.
function shortValue(v) {
  const cut = s => (s.length > 40 ? s.slice(0, 39) + '…' : s);
  if (v === null || v === undefined || v === '') return 'empty';
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 2 && 'old' in v && 'new' in v) return shortValue(v.old) + ' → ' + shortValue(v.new);
  if (typeof v === 'number') return v.toLocaleString();
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.length ? cut(v.map(x => (x && typeof x === 'object' ? (x.name || x.email || '…') : String(x))).join(', ')) : 'empty';
  if (typeof v === 'object') return cut(v.name || v.email || Object.entries(v).filter(([k]) => k !== 'id').map(([k, x]) => k + ' ' + shortValue(x)).join(', '));
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return new Date(+v.slice(0, 4), +v.slice(5, 7) - 1, +v.slice(8, 10)).toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v) && toDate(v)) return fmtFull(v);
  return cut(String(v));
}

function actionTone(action) {
  const a = String(action || '');
  if (/fail|denied|locked|rate/.test(a)) return 'amber';
  if (/delete|revoke|deactivat|archive/.test(a)) return 'red';
  if (/create|register|accept|restore/.test(a)) return 'green';
  if (/login|logout/.test(a)) return 'gray';
  return 'indigo';
}

function Actor({ actor }) {
  if (!actor || (!actor.name && !actor.id)) return <span className="faint">Anonymous</span>;
  const type = actor.type || 'user';
  const label = actor.name || (actor.id ? String(actor.id).slice(0, 8) : type);
  if (type === 'user') return <div className="who"><Avatar name={label} size="sm" /><span>{label}</span></div>;
  return <div className="who" title={type}><span className="avatar sm av-bot"><Icon name={type === 'system' ? 'terminal' : 'bot'} /></span><span>{label}</span></div>;
}

// Offset paging over a {data: [...], total} endpoint: this page's rows and where they sit.
function pageInfo(state, offset, size) {
  const rows = (state.data && state.data.data) || [];
  const total = state.data && typeof state.data.total === 'number' ? state.data.total : null;
  const to = offset + rows.length;
  return { rows, total, from: rows.length ? offset + 1 : 0, to, hasNext: total !== null ? to < total : rows.length === size };
}

function PagerFoot({ page, offset, size, loading, onOffset, showCount = true }) {
  return (
    <div className="table-foot">
      <span>{page.rows.length && showCount ? 'Showing ' + page.from + '–' + page.to + (page.total !== null ? ' of ' + page.total.toLocaleString() : '') : ''}</span>
      <div className="pager">
        <Button size="sm" icon="chevron-left" disabled={offset === 0 || loading} onClick={() => onOffset(Math.max(0, offset - size))}>Newer</Button>
        <Button size="sm" disabled={!page.hasNext || loading} onClick={() => onOffset(offset + size)}>Older <Icon name="chevron-right" /></Button>
      </div>
    </div>
  );
}

const AUDIT_PAGE = 50;

function AuditTab() {
  const names = useUserNames();
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState(null);
  const [filters, setFilters] = useState(AUDIT_NO_FILTER);
  const query = auditQuery(filters);
  const [state, reload] = useAsync(() => api('/api/audit-log?limit=' + AUDIT_PAGE + '&offset=' + offset + query), [offset, query]);
  const page = pageInfo(state, offset, AUDIT_PAGE);
  const rows = page.rows;
  const users = useMemo(() => Object.entries(names).map(([id, username]) => ({ id, username })).sort((a, b) => a.username.localeCompare(b.username)), [names]);
  const filtered = query !== '';
  const filter = f => { setOpen(null); setOffset(0); setFilters(f); };
  return (
    <div>
      <div className="toolbar">
        <div>
          <div className="section-title">Audit log</div>
          <div className="muted small">Every change, sign-in, account and token event, newest first. Click a row for the full details, an entity for its whole history.</div>
        </div>
        <span className="spacer" />
        <Button size="sm" variant="secondary" icon="refresh" onClick={() => reload()} pending={state.loading && !!state.data}>Refresh</Button>
      </div>
      <AuditFilters value={filters} onChange={filter} users={users} />
      <LoadError error={state.error} onRetry={reload} />
      <div className="table-card">
        <div className="table-scroll">
          <table className="table aud-table">
            <thead><tr><th>When</th><th>Actor</th><th>Action</th><th>Entity</th><th>Details</th><th>IP</th></tr></thead>
            <tbody>
              {state.loading && !state.data ? <SkeletonRows cols={6} rows={8} /> : rows.length === 0 ? (
                <TableEmpty cols={6} icon={filtered ? 'search' : 'history'} title={filtered ? 'No events match these filters' : 'No events yet'}>{filtered ? 'Widen the dates or clear a filter.' : null}</TableEmpty>
              ) : rows.map(ev => {
                const details = parseDetails(ev.details);
                const isOpen = open === ev.id;
                const entries = details && typeof details === 'object' ? Object.entries(details) : [];
                return (
                  <React.Fragment key={ev.id}>
                    <tr className="clickable" tabIndex={0} onClick={() => setOpen(isOpen ? null : ev.id)} aria-expanded={isOpen ? 'true' : 'false'}
                      onKeyDown={e => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); setOpen(isOpen ? null : ev.id); } }}>
                      <td className="muted nowrap"><Time value={ev.at} /></td>
                      <td><Actor actor={ev.actor} /></td>
                      <td><Pill tone={actionTone(ev.action)}>{ev.action}</Pill></td>
                      <td>{ev.entity_type ? <span className="entity"><span className="muted">{ev.entity_type.replace(/_/g, ' ')}</span>{ev.entity_id && (
                        <button type="button" className="entity-btn" title={'Only events about ' + (ev.entity_name || ev.entity_id)} onClick={e => { e.stopPropagation(); filter({ ...filters, entity_type: ev.entity_type, entity_id: ev.entity_id }); }}>
                          {ev.entity_name ? <span>{ev.entity_name}</span> : ev.entity_type === 'user' && names[ev.entity_id] ? <span>{names[ev.entity_id]}</span> : <code className="faint">{String(ev.entity_id).slice(0, 8)}</code>}
                        </button>)}</span> : <span className="faint">—</span>}</td>
                      <td>
                        {entries.length ? (
                          <span className="kv-inline">
                            {entries.slice(0, 3).map(([k, v]) => <span key={k}><span className="k">{k}=</span>{shortValue(v)}</span>)}
                            {entries.length > 3 && <span className="k">+{entries.length - 3} more</span>}
                          </span>
                        ) : details && typeof details !== 'object' ? <span className="kv-inline">{shortValue(details)}</span> : <span className="faint">—</span>}
                      </td>
                      <td><code className="muted">{ev.ip || '—'}</code></td>
                    </tr>
                    {isOpen && (
                      <tr className="row-detail"><td colSpan={6}>
                        <pre className="json">{JSON.stringify({ ...ev, at_local: fmtFull(ev.at), details }, null, 2)}</pre>
                      </td></tr>
                    )}
                  </React.Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
        <PagerFoot page={page} offset={offset} size={AUDIT_PAGE} loading={state.loading} onOffset={o => { setOpen(null); setOffset(o); }} />
      </div>
    </div>
  );
}

const CHECK_ICON = { ok: 'check', warn: 'alert-triangle', fail: 'x' };
const CHECK_PILL = { ok: ['green', 'OK'], warn: ['amber', 'Warning'], fail: ['red', 'Failing'] };

function SettingValue({ v }) {
  if (v === null || v === undefined || v === '') return <span className="faint">—</span>;
  if (typeof v === 'boolean') return v ? <Pill tone="green">Yes</Pill> : <Pill tone="gray">No</Pill>;
  if (Array.isArray(v)) return v.length ? <div className="chips">{v.map((x, i) => <span className="chip" key={i}>{typeof x === 'object' ? JSON.stringify(x) : String(x)}</span>)}</div> : <span className="faint">none</span>;
  if (typeof v === 'object') return <pre className="json">{JSON.stringify(v, null, 2)}</pre>;
  if (typeof v === 'number') return <span className="mono">{v.toLocaleString()}</span>;
  return <span className="mono">{String(v)}</span>;
}

function SecurityTab() {
  const [state, reload] = useAsync(() => api('/api/security/status').then(r => r.data || {}), []);
  const d = state.data;
  const checks = (d && d.checks) || [];
  const counts = { ok: 0, warn: 0, fail: 0 };
  checks.forEach(c => { counts[c.status] = (counts[c.status] || 0) + 1; });
  const order = { fail: 0, warn: 1, ok: 2 };
  const sorted = checks.slice().sort((a, b) => (order[a.status] ?? 3) - (order[b.status] ?? 3));
  const env = d && d.environment;
  const settings = d && d.settings ? Object.entries(d.settings) : [];
  const counters = d && d.counters && typeof d.counters === 'object' ? Object.entries(d.counters) : [];
  if (state.loading && !d) return <div className="center-state"><Spinner large /></div>;
  return (
    <div>
      <LoadError error={state.error} onRetry={reload} />
      {d && (
        <>
          <div className="sec-summary">
            <div className="card stat">
              <div className="st-label"><Icon name="server" />Environment</div>
              <div className="st-value">{env ? capitalize(env) : '—'}{env && env !== 'production' && <Pill tone="amber" dot>Not production</Pill>}</div>
            </div>
            <div className="card stat"><div className="st-label"><Icon name="check-circle" />Passing</div><div className="st-value">{counts.ok}</div></div>
            <div className="card stat"><div className="st-label"><Icon name="alert-triangle" />Warnings</div><div className={cx('st-value', counts.warn > 0 && 'is-warn')}>{counts.warn}</div></div>
            <div className="card stat"><div className="st-label"><Icon name="x-circle" />Failing</div><div className={cx('st-value', counts.fail > 0 && 'is-fail')}>{counts.fail}</div></div>
          </div>
          <div className="two-col">
            <div className="card">
              <div className="card-head">
                <div className="spacer"><h2>Security checks</h2><p>{counts.fail ? 'Fix failing checks before exposing this server.' : counts.warn ? 'Review the warnings below.' : 'All checks pass.'}</p></div>
                <Button size="sm" variant="ghost" icon="refresh" onClick={() => reload(true)} aria-label="Re-run checks" />
              </div>
              {sorted.length === 0 ? <div className="table-empty"><div className="te-text">No checks reported.</div></div> : (
                <ul className="checklist">
                  {sorted.map(c => (
                    <li className="check-item" key={c.id || c.label}>
                      <span className={'check-icon ' + (c.status || 'warn')}><Icon name={CHECK_ICON[c.status] || 'info'} strokeWidth={2.5} /></span>
                      <div className="check-body"><div className="check-label">{c.label || c.id}</div>{c.detail && <div className="check-detail">{c.detail}</div>}</div>
                      <Pill tone={(CHECK_PILL[c.status] || ['gray'])[0]}>{(CHECK_PILL[c.status] || [null, c.status])[1]}</Pill>
                    </li>
                  ))}
                </ul>
              )}
            </div>
            <div className="card">
              <div className="card-head"><div><h2>Effective settings</h2><p>What this server is running with (secrets are never shown).</p></div></div>
              {settings.length === 0 ? <div className="table-empty"><div className="te-text">No settings reported.</div></div> : (
                <div className="kv">
                  {settings.map(([k, v]) => <React.Fragment key={k}><div className="k">{k}</div><div className="v"><SettingValue v={v} /></div></React.Fragment>)}
                </div>
              )}
              {counters.length > 0 && (
                <>
                  <div className="card-head card-head-sep"><div><h2>Counters</h2><p>Live figures since the server started or from the database.</p></div></div>
                  <div className="kv">
                    {counters.map(([k, v]) => <React.Fragment key={k}><div className="k">{k}</div><div className="v"><SettingValue v={v} /></div></React.Fragment>)}
                  </div>
                </>
              )}
            </div>
          </div>
        </>
      )}
    </div>
  );
}

registerScreen({ path: '/admin', label: 'Admin', icon: 'shield', title: 'Admin', Page: AdminPage, admin: true,
  section: 'Configure', order: 20, crumb: route => (ADMIN_TABS.find(t => route.path === '/admin/' + t.id) || ADMIN_TABS[0]).label });
