/* ========================================================================
   Root: bootstrap status, session, routing
   ======================================================================== */
let pendingNext = null;

function App() {
  const route = useRoute();
  const toast = useToast();
  const [boot, setBoot] = useState({ phase: 'loading' });
  const [setupRequired, setSetupRequired] = useState(false);
  const [user, setUser] = useState(null);
  const [notice, setNotice] = useState('');

  const start = useCallback(async () => {
    setBoot({ phase: 'loading' });
    try {
      const s = await api('/api/bootstrap/status', { auth: false });
      if (s && s.data && s.data.setup_required) { setSetupRequired(true); setBoot({ phase: 'ready' }); return; }
      setSetupRequired(false);
      if (tokenStore.get()) {
        try {
          const me = await api('/api/auth/me', { handle401: false });
          setUser(me.data);
        } catch (err) {
          if (err.status === 401) tokenStore.clear();
          else throw err;
        }
      }
      setBoot({ phase: 'ready' });
    } catch (err) {
      setBoot({ phase: 'error', error: err });
    }
  }, []);

  useEffect(() => { start(); }, [start]);
  useEffect(() => { window.__vcrmMounted = true; }, []);

  useEffect(() => {
    authEvents.onUnauthorized = () => {
      tokenStore.clear();
      setUser(null);
      setNotice('Your session has ended. Sign in again to continue.');
    };
    return () => { authEvents.onUnauthorized = null; };
  }, []);

  const onSession = useCallback((session, welcome) => {
    if (session && session.token) tokenStore.set(session.token);
    if (session && session.user) setUser(session.user);
    setSetupRequired(false);
    setNotice('');
    if (welcome) toast(welcome);
    const next = pendingNext;
    pendingNext = null;
    const r = parseHash();
    if (r.path === '/login' || r.path === '/setup' || r.path === '/accept-invite' || r.path === '/') navigate(next || '#/grid', true);
  }, [toast]);

  const signOut = useCallback(async () => {
    try { await api('/api/auth/logout', { method: 'POST', handle401: false }); } catch (e) { /* the token is dropped either way */ }
    tokenStore.clear();
    setUser(null);
    setNotice('');
    navigate('#/login', true);
    toast('You are signed out.', 'info');
  }, [toast]);

  // Keep the address bar honest about which screen is showing: a layout effect, so the URL changes
  // in the same commit as the screen (never a frame showing the login screen at #/grid).
  const ready = boot.phase === 'ready';
  useLayoutEffect(() => {
    if (!ready) return;
    if (setupRequired) { if (route.path !== '/setup') navigate('#/setup', true); return; }
    if (route.path === '/accept-invite') return;
    if (!user) {
      if (route.path !== '/login') {
        if (route.path !== '/' && route.path !== '/setup') pendingNext = route.hash;
        navigate('#/login', true);
      }
      return;
    }
    // (A sign-out renders the login route once before the user is cleared: no token, no redirect.)
    if ((route.path === '/' || route.path === '/login' || route.path === '/setup') && tokenStore.get()) navigate(pendingNext || '#/grid', true);
  }, [ready, setupRequired, user, route.path, route.hash]);

  if (boot.phase === 'loading') {
    return <div className="boot" role="status"><span className="boot-mark"><svg width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2.6" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true"><path d="M6 7.5l6 10 6-10" /></svg></span><div className="boot-name">Venture CRM</div><div className="boot-bar"><span /></div><div className="boot-msg">Connecting to the server…</div></div>;
  }
  if (boot.phase === 'error') {
    return (
      <AuthShell>
        <div className="auth-state">
          <StateIcon icon="server" tone="red" />
          <h1>Can’t reach the Venture CRM server</h1>
          <p>{boot.error.message}</p>
          <Button variant="primary" icon="refresh" onClick={start}>Try again</Button>
        </div>
      </AuthShell>
    );
  }
  if (setupRequired) return <SetupScreen onSession={onSession} />;
  if (route.path === '/accept-invite') return <AcceptInviteScreen token={route.query.token} currentUser={user} onSession={onSession} />;
  if (!user) return <LoginScreen onSession={onSession} notice={notice} />;
  return <AppFrame route={route} user={user} onSignOut={signOut} onSession={onSession} />;
}

class ErrorBoundary extends React.Component {
  constructor(props) { super(props); this.state = { error: null }; }
  static getDerivedStateFromError(error) { return { error }; }
  componentDidCatch(error, info) { console.error('Venture CRM render error', error, info && info.componentStack); }
  render() {
    if (!this.state.error) return this.props.children;
    const e = this.state.error;
    return (
      <div className="boot-error" role="alert">
        <h1>Something went wrong on this screen</h1>
        <p>The page hit an unexpected error. Reloading usually fixes it; if not, send the details below to your admin.</p>
        <pre>{String((e && e.stack) || e)}</pre>
        <div className="actions">
          <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>Reload</button>
          <button type="button" className="btn btn-secondary" onClick={() => { this.setState({ error: null }); navigate('#/grid'); }}>Go to the grid</button>
        </div>
      </div>
    );
  }
}

ReactDOM.createRoot(document.getElementById('root')).render(
  <ErrorBoundary>
    <ToastProvider>
      <NowProvider>
        <App />
      </NowProvider>
    </ToastProvider>
  </ErrorBoundary>
);
