/* ========================================================================
   Auth screens
   ======================================================================== */
function AuthShell({ children, footer }) {
  return (
    <div className="auth">
      <div className="auth-bg" aria-hidden="true" />
      <div className="auth-inner">
        <div className="auth-brand"><Logo large /><span>Venture CRM</span></div>
        <div className="auth-card">{children}</div>
        {footer && <div className="auth-foot">{footer}</div>}
        <div className="auth-legal"><Icon name="lock" />Self-hosted · your investor data stays on this server</div>
      </div>
    </div>
  );
}

function SetupScreen({ onSession }) {
  usePageTitle('Set up');
  const { f, setF, set, errors, setErrors, formError, setFormError, pending, setPending } = useForm({ username: '', email: '', password: '', confirm: '' });
  const submit = async e => {
    e.preventDefault();
    const errs = validateAccount(f);
    setErrors(errs);
    setFormError('');
    if (Object.keys(errs).length) return;
    setPending(true);
    try {
      const r = await api('/api/auth/register', { method: 'POST', auth: false, body: { username: f.username.trim(), email: f.email.trim(), password: f.password } });
      onSession(r, 'Your admin account is ready. Welcome to Venture CRM.');
    } catch (err) {
      setFormError(err.message);
      setPending(false);
    }
  };
  return (
    <AuthShell footer={<span>Next: invite your partners and associates from <b>Admin → Invites</b>.</span>}>
      <div className="auth-eyebrow"><Icon name="sparkles" size={12} />First-run setup</div>
      <h1>Create the admin account</h1>
      <p className="lede">This is a fresh installation. The first account becomes the administrator of your fund's workspace.</p>
      <form onSubmit={submit} noValidate>
        <TextField label="Username" name="username" value={f.username} onChange={set('username')} error={errors.username}
          autoFocus autoComplete="username" autoCapitalize="none" spellCheck="false" placeholder="e.g. jane" />
        <TextField label="Email" name="email" type="email" value={f.email} onChange={set('email')} error={errors.email}
          autoComplete="email" placeholder="jane@yourfund.com" />
        <PasswordField label="Password" name="password" value={f.password} onChange={set('password')} error={errors.password}
          autoComplete="new-password" hint={'At least ' + MIN_PASSWORD + ' characters. A passphrase is best.'} />
        <PasswordField label="Confirm password" name="confirm" value={f.confirm} onChange={set('confirm')} error={errors.confirm}
          autoComplete="new-password" />
        {formError && <div className="field"><FormError>{formError}</FormError></div>}
        <Button type="submit" variant="primary" block pending={pending}>Create admin account</Button>
      </form>
    </AuthShell>
  );
}

function LoginScreen({ onSession, notice }) {
  usePageTitle('Sign in');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [pending, setPending] = useState(false);
  const [retryUntil, setRetryUntil] = useState(0);
  const [, force] = useState(0);
  const pwRef = useRef(null);
  const remaining = Math.max(0, Math.ceil((retryUntil - Date.now()) / 1000));
  useEffect(() => {
    if (!retryUntil) return undefined;
    const t = setInterval(() => {
      if (Date.now() >= retryUntil) { setRetryUntil(0); setError(''); clearInterval(t); }
      force(x => x + 1);
    }, 250);
    return () => clearInterval(t);
  }, [retryUntil]);
  const submit = async e => {
    e.preventDefault();
    if (remaining > 0) return;
    if (!username.trim() || !password) { setError('Enter your username or email and your password.'); return; }
    setPending(true); setError('');
    try {
      const r = await api('/api/auth/login', { method: 'POST', auth: false, body: { username: username.trim(), password } });
      onSession(r);
    } catch (err) {
      setPending(false);
      if (err.status === 429) {
        setRetryUntil(Date.now() + retryAfterSeconds(err) * 1000);
        setError('');
      } else {
        setError(err.status === 401 ? (err.message && err.message !== STATUS_TEXT[401] ? err.message : 'Incorrect username or password.') : err.message);
        setPassword('');
        if (pwRef.current) pwRef.current.focus();
      }
    }
  };
  return (
    <AuthShell footer={<span>New to the team? Ask an admin to send you an invite link.</span>}>
      <h1>Sign in</h1>
      <p className="lede">Welcome back. Sign in to your fund's workspace.</p>
      <form onSubmit={submit} noValidate>
        {notice && <div className="field"><Callout tone="info">{notice}</Callout></div>}
        <TextField label="Username or email" name="username" value={username} onChange={v => { setUsername(v); setError(''); }}
          autoFocus autoComplete="username" autoCapitalize="none" spellCheck="false" />
        <PasswordField label="Password" name="password" value={password} onChange={v => { setPassword(v); setError(''); }}
          autoComplete="current-password" inputRef={pwRef} />
        {remaining > 0 && <div className="field"><FormError>Too many attempts, try again in {remaining} s.</FormError></div>}
        {error && <div className="field"><FormError>{error}</FormError></div>}
        <Button type="submit" variant="primary" block pending={pending} disabled={remaining > 0}>
          Sign in
        </Button>
      </form>
    </AuthShell>
  );
}

const INVITE_STATUS_TEXT = {
  accepted: { icon: 'user-check', tone: 'green', title: 'This invitation has already been used', text: 'An account was created with it. Sign in with that username and password.' },
  expired: { icon: 'clock', tone: 'amber', title: 'This invitation has expired', text: 'Invitations are valid for a limited time. Ask an admin to send you a new one.' },
  revoked: { icon: 'ban', tone: 'red', title: 'This invitation was revoked', text: 'An admin withdrew it. Ask them for a new invitation if you still need access.' },
};

function AcceptInviteScreen({ token, currentUser, onSession }) {
  usePageTitle('Accept invitation');
  const [info, setInfo] = useState({ loading: true });
  const { f, setF, set, errors, setErrors, formError, setFormError, pending, setPending } = useForm({ username: '', password: '', confirm: '' });
  useEffect(() => {
    let live = true;
    if (!token) { setInfo({ error: 'missing' }); return undefined; }
    api('/api/auth/invite?token=' + encodeURIComponent(token), { auth: false })
      .then(r => { if (live) setInfo({ invite: r.data }); })
      .catch(err => { if (live) setInfo({ error: err.status === 404 || err.status === 400 ? 'invalid' : err.message }); });
    return () => { live = false; };
  }, [token]);
  const submit = async e => {
    e.preventDefault();
    const errs = validateAccount(f, { needEmail: false });
    setErrors(errs); setFormError('');
    if (Object.keys(errs).length) return;
    setPending(true);
    try {
      const r = await api('/api/auth/accept-invite', { method: 'POST', auth: false, body: { token, username: f.username.trim(), password: f.password } });
      onSession(r, 'Welcome to Venture CRM, ' + ((r.user && r.user.username) || f.username.trim()) + '.');
    } catch (err) { setFormError(err.message); setPending(false); }
  };
  const signIn = <Button variant="secondary" onClick={() => navigate('#/login')}>Go to sign in</Button>;
  let body;
  if (info.loading) {
    body = <div className="auth-state"><Spinner large /><p>Checking your invitation…</p></div>;
  } else if (info.error) {
    body = (
      <div className="auth-state">
        <StateIcon icon="link" tone="red" />
        <h1>{info.error === 'missing' || info.error === 'invalid' ? 'This invitation link is not valid' : 'Could not check the invitation'}</h1>
        <p>{info.error === 'missing' || info.error === 'invalid' ? 'Check that you opened the complete link from your invitation email, or ask an admin for a new one.' : info.error}</p>
        {signIn}
      </div>
    );
  } else if (info.invite.status && info.invite.status !== 'pending') {
    const s = INVITE_STATUS_TEXT[info.invite.status] || { icon: 'info', tone: '', title: 'This invitation cannot be used', text: 'Status: ' + info.invite.status };
    body = <div className="auth-state"><StateIcon icon={s.icon} tone={s.tone} /><h1>{s.title}</h1><p>{s.text}</p>{signIn}</div>;
  } else {
    const inv = info.invite;
    body = (
      <>
        <div className="auth-eyebrow"><Icon name="mail" size={12} />Invitation</div>
        <h1>Join your team on Venture CRM</h1>
        <p className="lede">Choose a username and password to finish creating your account.</p>
        <div className="invite-who">
          <Avatar name={inv.email} size="lg" />
          <div className="spacer">
            <div className="who-email">{inv.email}</div>
            <div className="small muted">Invitation expires <Time value={inv.expires_at} /></div>
          </div>
          <RolePill role={inv.role} />
        </div>
        {currentUser && <div className="field"><Callout tone="warn">You are signed in as <b>{currentUser.username}</b>. Creating this account signs you in as the new user.</Callout></div>}
        <form onSubmit={submit} noValidate>
          <TextField label="Username" name="username" value={f.username} onChange={set('username')} error={errors.username}
            autoFocus autoComplete="username" autoCapitalize="none" spellCheck="false" placeholder={(inv.email || '').split('@')[0]} />
          <PasswordField label="Password" name="password" value={f.password} onChange={set('password')} error={errors.password}
            autoComplete="new-password" hint={'At least ' + MIN_PASSWORD + ' characters.'} />
          <PasswordField label="Confirm password" name="confirm" value={f.confirm} onChange={set('confirm')} error={errors.confirm} autoComplete="new-password" />
          {formError && <div className="field"><FormError>{formError}</FormError></div>}
          <Button type="submit" variant="primary" block pending={pending}>Create account and sign in</Button>
        </form>
      </>
    );
  }
  return <AuthShell>{body}</AuthShell>;
}
