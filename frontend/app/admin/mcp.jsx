/* ========================================================================
   Admin -> Service tokens -> AI assistants (MCP): the endpoint, what each scope lets an assistant
   do, a token made for one in a click, and the configuration to paste into the assistant
   ======================================================================== */
const MCP_SCOPES = [
  { id: 'grid:read', label: 'Read the CRM', always: true,
    desc: 'Search notes and investors; read an investor’s cells, people, commitments, pipeline and recent touches; list and run the shared views; answer questions with query plans; read the grid’s schema.' },
  { id: 'intake:write', label: 'Log notes',
    desc: 'Also add a note, call or meeting to an investor’s interaction log (shown with source “mcp” and the token’s name). Nothing else can be changed.' },
  { id: 'search:read', label: 'See captured mail',
    desc: 'Also let search and query plans include mail matched to investors (subjects and snippets).' },
];
const MCP_TOOL_NAMES = ['search', 'get_investor', 'list_views', 'run_view', 'run_plan', 'log_note'];

function mcpEndpoint() { return window.location.origin + '/api/mcp'; }

// What to paste where: any client that speaks streamable HTTP, Claude Code, and Claude Desktop
// (which reaches a remote server with a header through the mcp-remote bridge).
function mcpSnippets(token) {
  const url = mcpEndpoint();
  const key = token || '<your token>';
  return [
    { id: 'http', title: 'Any MCP client (streamable HTTP): Cursor, VS Code, Claude Code’s .mcp.json', label: 'MCP client configuration',
      text: JSON.stringify({ mcpServers: { 'venture-crm': { type: 'http', url, headers: { 'X-API-Key': key } } } }, null, 2) },
    { id: 'claude-code', title: 'Claude Code, from a terminal', label: 'Claude Code command',
      text: 'claude mcp add --transport http venture-crm ' + url + ' --header "X-API-Key: ' + key + '"' },
    { id: 'desktop', title: 'Claude Desktop: claude_desktop_config.json (through mcp-remote; needs Node.js)', label: 'Claude Desktop configuration',
      text: JSON.stringify({ mcpServers: { 'venture-crm': { command: 'npx', args: ['-y', 'mcp-remote', url, '--header', 'X-API-Key:${VCRM_TOKEN}'],
        env: { VCRM_TOKEN: key } } } }, null, 2) },
  ];
}

function McpCard({ onCreated }) {
  const toast = useToast();
  const [name, setName] = useState('AI assistant');
  const [extra, setExtra] = useState([]);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const [created, setCreated] = useState(null);
  const [snippet, setSnippet] = useState('http');
  const toggle = id => setExtra(s => (s.includes(id) ? s.filter(x => x !== id) : [...s, id]));
  const create = async () => {
    if (!name.trim()) { setError('Give the token a name you will recognise in the audit log.'); return; }
    setPending(true); setError('');
    try {
      const scopes = MCP_SCOPES.map(s => s.id).filter(id => id === 'grid:read' || extra.includes(id));
      const token = (await api('/api/admin/service-tokens', { method: 'POST', body: { name: name.trim(), scopes } })).data;
      setCreated(token);
      toast('Token “' + token.name + '” created for an assistant.');
      if (onCreated) onCreated(token);
    } catch (err) { setError(err.message); }
    setPending(false);
  };
  const shown = mcpSnippets(created && created.token).find(s => s.id === snippet);
  return (
    <section className="card mcp-card" aria-labelledby="mcp-title">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="sparkles" /></span>
        <div className="spacer">
          <h2 id="mcp-title">AI assistants (MCP)</h2>
          <p>Give Claude or any Model Context Protocol client the CRM’s search, investors, saved views and questions, without the database.</p>
        </div>
      </div>
      <div className="mcp-body">
        <div className="mcp-endpoint">
          <span className="mcp-label">Endpoint</span>
          <CopyField value={mcpEndpoint()} label="Copy URL" />
          <span className="mcp-note">Streamable HTTP, JSON-RPC 2.0. The assistant sends its service token as the <code>X-API-Key</code> header; a signed-in session is not accepted.</span>
        </div>
        <div className="mcp-grid">
          <div className="mcp-scopes">
            <span className="mcp-label">What a token lets the assistant do</span>
            <div className="choice-list">
              {MCP_SCOPES.map(s => (
                <label key={s.id} className={cx('checkbox', (s.always || extra.includes(s.id)) && 'is-checked')}>
                  <input type="checkbox" name="mcp-scopes" value={s.id} checked={!!s.always || extra.includes(s.id)} disabled={!!s.always}
                    onChange={() => toggle(s.id)} />
                  <span><span className="cb-title">{s.label} <code>{s.id}</code>{s.always && <span className="faint small">always</span>}</span><span className="cb-desc">{s.desc}</span></span>
                </label>
              ))}
            </div>
          </div>
          <div className="mcp-create">
            <TextField label="Token name" name="mcp-token-name" value={name} onChange={v => { setName(v); setError(''); }} autoComplete="off"
              hint="Every tool call is audited under this name." />
            <Button variant="primary" icon="key" pending={pending} onClick={create}>Create a token for an assistant</Button>
            <FormError>{error}</FormError>
            <p className="mcp-note">Tools: {MCP_TOOL_NAMES.map((t, i) => <React.Fragment key={t}>{i ? ', ' : ''}<code>{t}</code></React.Fragment>)}; resources <code>crm://schema</code> and <code>crm://query-schema</code>. No tool sends mail or anything else; the server never calls out. What a tool returns goes to the assistant’s model, so use a local model if LP data must stay on your machines.</p>
          </div>
        </div>
        {created && (
          <TokenShownOnce token={created} onDismiss={() => setCreated(null)}>
            <div className="co-text mcp-shown">The configuration below now holds this token: paste it into the assistant, then close this.</div>
          </TokenShownOnce>
        )}
        <div className="mcp-config">
          <div className="mcp-config-head">
            <span className="mcp-label">Configuration to paste</span>
            <div className="seg" role="group" aria-label="Client">
              {[['http', 'Any client'], ['claude-code', 'Claude Code'], ['desktop', 'Claude Desktop']].map(([id, label]) => (
                <button key={id} type="button" className={cx('seg-btn', snippet === id && 'is-on')} aria-pressed={snippet === id} onClick={() => setSnippet(id)}>{label}</button>
              ))}
            </div>
          </div>
          <IntakeCode title={shown.title} text={shown.text} label={shown.label} />
          {!created && <p className="mcp-note">Create a token above and the snippet fills itself in; or put an existing token with <code>grid:read</code> where it says <code>&lt;your token&gt;</code>.</p>}
        </div>
      </div>
    </section>
  );
}
