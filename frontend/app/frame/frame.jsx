/* ========================================================================
   App frame: sidebar, top bar, user menu
   ======================================================================== */
/* The screen registry. Each screen's file registers itself:
     registerScreen({ path, label, short, icon, title, Page, admin, section, order, nav, parent, flush, crumb, phone })
   (`short`: the label under the icon in a phone's bottom bar, when `label` is too long for it;
   `phone: false` leaves a screen reached from another one out of that bar)
   The sidebar, the frame's page and the breadcrumbs all read SCREENS, so a new screen is one new
   file plus one line in frontend/app/manifest.json. `parent` puts a screen under another one's
   nav item and crumb (Import under the grid); `crumb(route)` names the current tab; `flush`
   drops the page padding (the grid). */
const SCREENS = [];
const NAV_SECTIONS = ['Workspace', 'Configure'];

function registerScreen(screen) {
  if (SCREENS.some(s => s.path === screen.path)) throw new Error('two screens registered for ' + screen.path);
  SCREENS.push({ section: 'Workspace', order: 100, nav: true, admin: false, ...screen });
}

function screenFor(path) {
  return SCREENS.filter(s => path === s.path || path.startsWith(s.path + '/'))
    .sort((a, b) => b.path.length - a.path.length)[0] || null;
}

function navScreens(user) {
  const visible = SCREENS.filter(s => s.nav && (!s.admin || user.role === 'admin'));
  return NAV_SECTIONS.map(section => ({ section, screens: visible.filter(s => s.section === section).sort((a, b) => a.order - b.order) }))
    .filter(group => group.screens.length);
}

function Sidebar({ route, user }) {
  const [health, setHealth] = useState(null);
  const current = screenFor(route.path);
  useEffect(() => {
    let live = true;
    api('/api/health', { auth: false }).then(r => { if (live) setHealth(r.data || {}); }).catch(() => { if (live) setHealth(false); });
    return () => { live = false; };
  }, []);
  return (
    <aside className="sidebar" aria-label="Main navigation">
      <div className="sb-brand">
        <Logo />
        <div className="brand-text"><div className="name">Venture CRM</div><div className="sub">Fundraising workspace</div></div>
      </div>
      <nav className="sb-nav">
        {navScreens(user).map(group => (
          <React.Fragment key={group.section}>
            <div className="sb-section">{group.section}</div>
            {group.screens.map(n => {
              const active = !!current && (current.path === n.path || (current.parent === n.path && !current.nav));  // a child with its own item lights only that
              return (
                <a key={n.path} href={'#' + n.path} className={cx('nav-item', active && 'is-active')} data-short={n.short}
                  data-phone={n.phone === false ? 'off' : undefined}
                  aria-current={active ? 'page' : undefined} title={n.label}>
                  <Icon name={n.icon} /><span>{n.label}</span>
                </a>
              );
            })}
          </React.Fragment>
        ))}
      </nav>
      <div className="sb-foot" title={health ? 'Server is healthy' : health === false ? 'Server health check failed' : ''}>
        <span className={cx('status-dot', !health && 'off')} />
        <span className="foot-text">{health ? 'Connected' + (health.version ? ' · v' + health.version : '') : health === false ? 'Server unreachable' : 'Connecting…'}</span>
      </div>
    </aside>
  );
}

function UserMenu({ user, onChangePassword, onSignOut }) {
  return (
    <Menu label="Account menu" button={({ toggle, props }) => (
      <button type="button" className="user-btn" onClick={toggle} {...props}>
        <Avatar name={user.username} />
        <span className="u-text"><div className="u-name">{user.username}</div><div className="u-role">{user.role === 'admin' ? 'Admin' : 'Member'}</div></span>
        <Icon name="chevron-down" className="chev" />
      </button>
    )}>
      {close => (
        <>
          <div className="menu-head">
            <Avatar name={user.username} size="lg" />
            <div className="mh-text">
              <div className="mh-name">{user.username}<RolePill role={user.role} /></div>
              <div className="mh-email" title={user.email}>{user.email}</div>
            </div>
          </div>
          <MenuItem icon="lock" onClick={() => { close(); onChangePassword(); }}>Change password</MenuItem>
          <div className="menu-sep" />
          <MenuItem icon="log-out" onClick={() => { close(); onSignOut(); }}>Sign out</MenuItem>
        </>
      )}
    </Menu>
  );
}

function ChangePasswordModal({ onClose, onSession }) {
  const toast = useToast();
  const { f, setF, set, errors, setErrors, formError, setFormError, pending, setPending } = useForm({ current: '', next: '', confirm: '' });
  const submit = async e => {
    e.preventDefault();
    const errs = {};
    if (!f.current) errs.current = 'Enter your current password.';
    if (f.next.length < MIN_PASSWORD) errs.next = 'Use at least ' + MIN_PASSWORD + ' characters.';
    else if (f.next === f.current) errs.next = 'Choose a password different from the current one.';
    if (f.confirm !== f.next) errs.confirm = "Passwords don't match.";
    setErrors(errs); setFormError('');
    if (Object.keys(errs).length) return;
    setPending(true);
    try {
      const r = await api('/api/auth/password', { method: 'POST', body: { current_password: f.current, new_password: f.next }, handle401: false });
      // The server signs out every other session and answers with a fresh one.
      const s = (r && r.data && r.data.token) ? r.data : r;
      if (s && s.token) onSession(s);
      toast('Password changed. Other sessions were signed out.');
      onClose();
    } catch (err) {
      if (err.body && err.body.field === 'current_password') setErrors({ current: err.message });
      else setFormError(err.message);
      setPending(false);
    }
  };
  return (
    <Modal title="Change password" description="You stay signed in here; other browsers will need to sign in again." onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <div className="modal-body">
          <PasswordField label="Current password" name="current_password" value={f.current} onChange={set('current')} error={errors.current} autoComplete="current-password" autoFocus />
          <PasswordField label="New password" name="new_password" value={f.next} onChange={set('next')} error={errors.next} autoComplete="new-password" hint={'At least ' + MIN_PASSWORD + ' characters.'} />
          <PasswordField label="Confirm new password" name="confirm" value={f.confirm} onChange={set('confirm')} error={errors.confirm} autoComplete="new-password" />
          {formError && <div className="field"><FormError>{formError}</FormError></div>}
        </div>
        <FormFoot onCancel={onClose} pending={pending} label="Change password" />
      </form>
    </Modal>
  );
}

function AppFrame({ route, user, onSignOut, onSession }) {
  const [pwOpen, setPwOpen] = useState(false);
  const [slot, setSlot] = useState(null);
  const screen = screenFor(route.path);
  const allowed = !!screen && (!screen.admin || user.role === 'admin');
  const item = screen && screen.parent ? SCREENS.find(s => s.path === screen.parent) : screen;
  const page = !screen ? <NotFound /> : !allowed ? <NoAccess /> : <screen.Page route={route} user={user} slot={slot} />;
  const sub = !screen || !allowed ? null : screen.parent ? screen.title : screen.crumb ? screen.crumb(route, user) : null;
  return (
    <div className="app">
      <Sidebar route={route} user={user} />
      <div className="main">
        <header className="topbar">
          <div className="crumbs">
            {item ? <><span className={sub ? '' : 'cur'}>{item.title}</span>{sub && <><Icon name="chevron-right" /><span className="cur">{sub}</span></>}</> : <span className="cur">Not found</span>}
          </div>
          <div className="spacer" />
          <SearchTrigger />
          <div className="topbar-slot" ref={setSlot} />
          <UserMenu user={user} onChangePassword={() => setPwOpen(true)} onSignOut={onSignOut} />
        </header>
        <main className={cx('content', screen && screen.flush && 'is-flush')} id="main">{page}</main>
      </div>
      {pwOpen && <ChangePasswordModal onClose={() => setPwOpen(false)} onSession={onSession} />}
      <SearchHost />
    </div>
  );
}

function NoAccess() {
  usePageTitle('Admins only');
  return <div className="page"><CenterState icon="lock" title="Admins only" action={<Button variant="secondary" onClick={() => navigate('#/grid')}>Go to the grid</Button>}>This area manages users, invitations, service tokens and security. Ask an admin if you need something changed.</CenterState></div>;
}

function NotFound() {
  usePageTitle('Not found');
  return <div className="page"><CenterState icon="search" title="Nothing here" action={<Button variant="secondary" onClick={() => navigate('#/grid')}>Go to the grid</Button>}>The page you asked for does not exist.</CenterState></div>;
}
