/* ========================================================================
   Settings -> Intake: the Matrix bot's token, how to set the bot up, and what it filed
   ======================================================================== */
const INTAKE_BOT_NAME = 'Matrix intake bot';
const INTAKE_BOT_SCOPES = ['intake:match', 'intake:write'];
const INTAKE_MATRIX_KEYS = ['MATRIX_HOMESERVER_URL', 'MATRIX_USER_ID', 'MATRIX_PASSWORD', 'MATRIX_ROOM_ID', 'MATRIX_ALLOWED_SENDERS', 'INTAKE_STATE_DIR'];
const INTAKE_RUN = './start.sh intake';
const INTAKE_PAGE = 25;
const INTAKE_KINDS = { meeting: 'Meeting', call: 'Call', email: 'Email', note: 'Note', intake: 'Note' };

// A token the bot can use: live, with exactly the two intake scopes (no more, no fewer).
function isIntakeBotToken(t) {
  return !t.revoked_at && (t.scopes || []).slice().sort().join(' ') === INTAKE_BOT_SCOPES.join(' ');
}

function intakeEnv(token) {
  return ['CRM_URL=' + window.location.origin, 'CRM_SERVICE_TOKEN=' + token, ...INTAKE_MATRIX_KEYS.map(k => k + '=')].join('\n');
}

// A block of shell text under its title, with its own copy button (the bot's environment, its run command).
function IntakeCode({ title, text, label }) {
  const toast = useToast();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    if (await copyText(text)) { setCopied(true); setTimeout(() => setCopied(false), 1800); }
    else toast('Select the text and press Ctrl+C (⌘C) to copy it.', 'info');
  };
  return (
    <div className="ik-code">
      <div className="ik-code-head">
        <span className="ik-code-title">{title}</span>
        <Button size="sm" variant={copied ? 'success' : 'ghost'} icon={copied ? 'check' : 'copy'} onClick={copy} aria-label={'Copy: ' + label}>{copied ? 'Copied' : 'Copy'}</Button>
      </div>
      <pre aria-label={label} tabIndex={0}>{text}</pre>
    </div>
  );
}

// The bot's token just created: the secret once, the environment to paste, the command to run.
function IntakeCreated({ token, onDismiss }) {
  const ref = useRef(null);
  useEffect(() => { if (ref.current) ref.current.scrollIntoView({ block: 'nearest' }); }, [token.id]);
  return (
    <div ref={ref} className="ik-created">
      <TokenShownOnce token={token} onDismiss={onDismiss}>
        <div className="ik-env-grid">
          <IntakeCode title="Environment for the bot" text={intakeEnv(token.token)} label="Bot environment" />
          <div className="ik-env-side">
            <IntakeCode title="Then run it from the CRM’s folder" text={INTAKE_RUN} label="Run command" />
            <p className="ik-env-note">Fill in the Matrix lines as the Setup steps say. The block holds the token: keep it where you keep the bot’s other secrets.</p>
          </div>
        </div>
      </TokenShownOnce>
    </div>
  );
}

function IntakeTokenCard({ state, onCreate }) {
  const names = useUserNames();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const bots = (state.data || []).filter(isIntakeBotToken).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const bot = bots[0];
  const create = async () => {
    setPending(true); setError('');
    try { onCreate(await createServiceToken(INTAKE_BOT_NAME, INTAKE_BOT_SCOPES)); } catch (err) { setError(err.message); }
    setPending(false);
  };
  return (
    <div className="card ik-card ik-token">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="key" /></span>
        <div className="spacer"><h2>Bot token</h2><p>The bot calls the CRM with a service token scoped to <code>intake:match</code> and <code>intake:write</code>: it can look investors up and file notes, nothing else.</p></div>
      </div>
      <div className="ik-card-body">
        {state.loading && !state.data ? <div className="ik-token-row" aria-hidden="true"><span className="sk sk-w40" /></div>
          : state.error && !state.data ? <LoadError error={state.error} onRetry={() => state.reload()} />
          : bot ? (
            <div className="ik-token-row" data-token={bot.id}>
              <span className="avatar av-bot"><Icon name="bot" /></span>
              <div className="ik-token-main">
                <div className="ik-token-name"><span className="who-name">{bot.name}</span><Pill tone="green" dot>Active</Pill></div>
                <div className="ik-token-meta">
                  <code>{bot.prefix ? bot.prefix + '…' : ''}</code>
                  <span>Created <Time value={bot.created_at} />{personName(bot.created_by, names) ? ' by ' + personName(bot.created_by, names) : ''}</span>
                  <span>Last used <Time value={bot.last_used_at} fallback="never" /></span>
                </div>
                {bots.length > 1 && <div className="ik-token-more small muted">{plural(bots.length - 1, 'other token')} with the same scopes {bots.length === 2 ? 'is' : 'are'} active too.</div>}
              </div>
            </div>
          ) : (
            <div className="ik-token-none">
              <Icon name="info" />
              <span>No active token with exactly these two scopes yet. Create one here: it is named “{INTAKE_BOT_NAME}” and gets nothing more.</span>
            </div>
          )}
        <ul className="ik-scopes" aria-label="What the bot’s token allows">
          {SCOPES.filter(sc => INTAKE_BOT_SCOPES.includes(sc.id)).map(sc => <li key={sc.id}><code className="chip">{sc.id}</code><span>{sc.desc}</span></li>)}
        </ul>
        <FormError>{error}</FormError>
        <div className="ik-card-actions">
          <Button variant={bot ? 'secondary' : 'primary'} icon="key" pending={pending} onClick={create}>{bot ? 'Create a new token' : 'Create the bot’s token'}</Button>
          <a className="ik-link" href="#/admin/tokens">Revoke or review tokens in Admin → Service tokens<Icon name="chevron-right" /></a>
        </div>
      </div>
    </div>
  );
}

function IntakeSetupCard() {
  return (
    <div className="card ik-card ik-setup">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="terminal" /></span>
        <div className="spacer"><h2>Setup</h2><p>Four steps, once. The bot runs next to the CRM as its own process.</p></div>
      </div>
      <div className="ik-card-body">
        <ol className="ik-steps">
          <li><b>Make the bot a Matrix user</b> on your homeserver, e.g. <code>@crm-bot:matrix.example.org</code>, with a password.</li>
          <li><b>Make a room</b> for the team’s notes and invite the bot; its id (<code>!abc…:matrix.example.org</code>) is under Room settings → Advanced.</li>
          <li><b>Create the bot’s token</b> here and fill in the environment it shows: the homeserver, the bot’s user and password, the room, optionally who may file (<code>MATRIX_ALLOWED_SENDERS</code>, comma-separated), and a folder for its state.</li>
          <li><b>Run the bot</b> with <code>{INTAKE_RUN}</code>. Post a note in the room, reply <code>yes</code> in its thread, and it is filed here.</li>
        </ol>
        <p className="ik-guide muted small"><Icon name="file-text" /><span>The full guide is <code>docs/intake.md</code> in the CRM’s folder.</span></p>
      </div>
    </div>
  );
}

function IntakeInvestor({ investor }) {
  if (!investor) return <span className="faint">—</span>;
  const name = investor.name || 'Untitled investor';
  if (investor.archived) return <span className="ik-inv is-archived"><a href="#/admin/archive" title="Archived: restore it from Admin → Archive">{name}</a><Pill tone="gray">Archived</Pill></span>;
  return <span className="ik-inv"><a href={'#/grid?investor=' + encodeURIComponent(investor.id)}>{name}</a></span>;
}

function IntakeHistory() {
  const [state, load] = usePagedList('/api/intake/history', INTAKE_PAGE);
  const { items, total, loading, error } = state;
  return (
    <section className="table-card ik-history" aria-labelledby="ik-history-title">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="history" /></span>
        <div className="spacer"><h2 id="ik-history-title">Intake history</h2><p>Everything the bot filed after a “yes”, newest first.</p></div>
        <Button size="sm" variant="ghost" icon="refresh" onClick={() => load(0)} disabled={loading} aria-label="Refresh the history">Refresh</Button>
      </div>
      {error && !items.length ? <div className="ik-card-body"><LoadError error={error} onRetry={() => load(0)} /></div> : (
        <div className="table-scroll">
          <table className="table ik-table">
            <thead><tr><th className="ik-c-when">When</th><th className="ik-c-what">What</th><th className="ik-c-inv">Investor</th><th className="ik-c-sum">Summary</th><th className="ik-c-by">By</th><th className="ik-c-src">Source</th></tr></thead>
            <tbody>
              {loading && !items.length ? <SkeletonRows cols={6} rows={3} />
                : !items.length ? <TableEmpty cols={6} icon="bot" title="Nothing filed from chat yet">Once the bot runs, each note a partner confirms with “yes” is listed here.</TableEmpty>
                : items.map(it => (
                  <tr key={it.ref} data-ref={it.ref}>
                    <td className="ik-c-when"><span title={fmtFull(it.created_at)}><Time value={it.created_at} /></span></td>
                    <td className="ik-c-what">{it.kind === 'investor' ? <Pill tone="green">New investor</Pill>
                      : <><Pill tone="indigo">Note</Pill>{it.interaction_kind && INTAKE_KINDS[it.interaction_kind] && INTAKE_KINDS[it.interaction_kind] !== 'Note' && <span className="ik-kind">{INTAKE_KINDS[it.interaction_kind]}</span>}</>}</td>
                    <td className="ik-c-inv"><IntakeInvestor investor={it.investor} /></td>
                    <td className="ik-c-sum">{it.summary ? <span className="ik-sum" title={it.summary}>{it.summary}</span> : <span className="faint">{it.kind === 'investor' ? 'Added without a note' : '—'}</span>}</td>
                    <td className="ik-c-by"><span className="ik-by"><span className="avatar sm av-bot"><Icon name="bot" /></span>{it.created_by || 'The bot'}</span></td>
                    <td className="ik-c-src"><InteractionSource source={it.source} /></td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
      <PagedFoot state={state} load={load} error={error && <span className="ik-foot-err">Couldn’t load more: {error.message}</span>} />
    </section>
  );
}

function IntakeTab() {
  const [tokens, reloadTokens] = useAsync(() => api('/api/admin/service-tokens').then(r => r.data || []), []);
  const [created, setCreated] = useState(null);
  const toast = useToast();
  return (
    <div className="stack-24 ik-tab">
      <div className="ik-intro">
        <StateIcon icon="bot" tone="indigo" />
        <div>
          <h2 className="section-title">Chat intake</h2>
          <p className="muted">Partners post a note in a Matrix room; the bot proposes the change in the thread, flags near-duplicates, and files it here only after someone replies “yes”.</p>
        </div>
      </div>
      {created && <IntakeCreated token={created} onDismiss={() => setCreated(null)} />}
      <div className="ik-cards">
        <IntakeTokenCard state={{ ...tokens, reload: reloadTokens }}
          onCreate={t => { setCreated(t); reloadTokens(true); toast('Service token “' + t.name + '” created. Copy it now: it is shown once.'); }} />
        <IntakeSetupCard />
      </div>
      <IntakeHistory />
    </div>
  );
}
