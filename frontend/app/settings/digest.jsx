/* ========================================================================
   Settings -> Digest: when the daily digest goes out and how, a preview exactly as the email,
   Send now, a test email, and the log of everything sent (admins only)
   ======================================================================== */
const DIGEST_KINDS = { daily: ['Daily', 'indigo'], now: ['Sent now', 'blue'], test: ['Test email', 'gray'] };
const DIGEST_STATUS = { sent: ['Sent', 'green'], failed: ['Failed', 'red'], sending: ['Sending', 'amber'], interrupted: ['Interrupted', 'amber'] };
const DIGEST_TRANSPORT = { smtp: 'SMTP', gmail: 'Gmail' };
const DIGEST_PAGE = 20;

function digestHourLabel(h) { return String(h).padStart(2, '0') + ':00'; }

function digestZones(current) {
  let zones = [];
  try { zones = Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []; } catch (e) { zones = []; }
  if (!zones.length) zones = ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Singapore'];
  return zones.includes(current) ? zones : [current, ...zones];
}

function todayISO() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}

// The email's HTML in the preview frame. The app's CSP refuses inline style attributes (and the
// frame inherits it), but styles set through the CSSOM are allowed: so the markup goes in without
// them, and each element's style is then set as the email has it. No script ever runs in it.
function mountEmail(frameEl, html) {
  const doc = frameEl && frameEl.contentDocument;
  if (!doc || !doc.body) return;  // not loaded yet: its onLoad mounts it
  // Renamed before parsing, so not even the parse applies an inline style (the email escapes its
  // text and quotes its attributes, so this matches attributes only).
  const parsed = new DOMParser().parseFromString(html.replace(/(<[^>]*?\s)style="/g, '$1data-dg-style="'), 'text/html');
  parsed.querySelectorAll('script, style, link, meta, iframe, object, embed').forEach(n => n.remove());
  parsed.querySelectorAll('*').forEach(el => {
    [...el.attributes].forEach(a => { if (/^on/i.test(a.name)) el.removeAttribute(a.name); });
    if (el.tagName === 'A') { el.setAttribute('target', '_blank'); el.setAttribute('rel', 'noopener noreferrer'); }
  });
  doc.body.replaceChildren(...[...parsed.body.childNodes].map(n => doc.importNode(n, true)));
  const restyle = (el, css) => { el.style.cssText = css || ''; el.removeAttribute('data-dg-style'); };
  doc.body.querySelectorAll('[data-dg-style]').forEach(el => restyle(el, el.getAttribute('data-dg-style')));
  restyle(doc.body, parsed.body.getAttribute('data-dg-style') || 'margin:0');
  frameEl.style.height = Math.max(240, doc.documentElement.scrollHeight + 4) + 'px';
}

function DigestSchedule({ policy, onSaved }) {
  const toast = useToast();
  const [form, setForm] = useState(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => { setForm({ enabled: policy.enabled, hour: policy.hour, timezone: policy.timezone, transport: policy.transport }); }, [policy]);
  if (!form) return null;
  const dirty = ['enabled', 'hour', 'timezone', 'transport'].some(k => form[k] !== policy[k]);
  const save = async (changes) => {
    setPending(true); setError('');
    try {
      const r = await api('/api/admin/digest/policy', { method: 'PATCH', body: changes });
      onSaved(r.data);
      toast('enabled' in changes ? (r.data.enabled ? 'The daily digest is on.' : 'The daily digest is off.') : 'Digest schedule saved.');
    } catch (err) { setError(err.message); }
    setPending(false);
  };
  const toggle = () => save({ enabled: !policy.enabled });
  const reachable = (policy.transports || []).some(t => t.available);
  return (
    <div className="card dg-card dg-schedule">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="clock" /></span>
        <div className="spacer"><h2>Daily digest</h2><p>One email each evening to every active admin: who on the team did what with which investors, and what each investor heard from us or told us.</p></div>
        <button type="button" role="switch" className="switch" aria-checked={policy.enabled} aria-label="Send the daily digest" disabled={pending} onClick={toggle} />
      </div>
      <div className="dg-card-body">
        <div className="dg-state">
          {policy.enabled
            ? <><Pill tone="green" dot>On</Pill>{Date.parse(policy.next_send_at) - Date.now() < 90000
                ? <span>Today’s digest is due: it goes out <b>within a minute</b>.</span>
                : <span>Next digest <b title={fmtFull(policy.next_send_at)}>{fmtAbs(policy.next_send_at)}</b></span>}</>
            : <><Pill tone="gray" dot>Off</Pill><span>Nothing is sent until you turn it on.</span></>}
        </div>
        {!reachable && <Callout tone="warn" title="No way to send mail yet">Set the <code>SMTP_*</code> settings (on StartOS: the package’s mail action) or set up Gmail capture in Settings → Email; the digest uses whichever works.</Callout>}
        <div className="dg-form">
          <SelectField label="Send at" value={String(form.hour)} onChange={v => setForm({ ...form, hour: Number(v) })}
            options={Array.from({ length: 24 }, (_, h) => ({ value: String(h), label: digestHourLabel(h) }))} />
          <SelectField label="Time zone" hint={policy.timezone_is_box && form.timezone === policy.timezone ? 'The box’s own time zone' : undefined}
            value={form.timezone} onChange={v => setForm({ ...form, timezone: v })}
            options={digestZones(form.timezone).map(z => ({ value: z, label: z.replace(/_/g, ' ') }))} />
          <SelectField label="Send through" value={form.transport} onChange={v => setForm({ ...form, transport: v })}
            options={[{ value: 'smtp', label: 'SMTP, then Gmail' }, { value: 'gmail', label: 'Gmail, then SMTP' }]} />
        </div>
        <div className="dg-recipients">
          <span className="dg-label">Goes to</span>
          {(policy.recipients || []).length ? policy.recipients.map(r => <span key={r} className="chip dg-chip"><Icon name="user" />{r}</span>)
            : <span className="faint">No active admin</span>}
          <span className="dg-note">Active admins only. It never goes to an investor.</span>
        </div>
        <FormError>{error}</FormError>
        <div className="dg-actions">
          <Button variant="primary" icon="check" pending={pending} disabled={!dirty} onClick={() => save({ hour: form.hour, timezone: form.timezone, transport: form.transport })}>Save schedule</Button>
          {dirty && <Button variant="ghost" onClick={() => setForm({ enabled: policy.enabled, hour: policy.hour, timezone: policy.timezone, transport: policy.transport })}>Discard</Button>}
        </div>
      </div>
    </div>
  );
}

function DigestTransports({ policy }) {
  const toast = useToast();
  const [to, setTo] = useState((policy.recipients || [])[0] || '');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => { if (!to && (policy.recipients || []).length) setTo(policy.recipients[0]); }, [policy.recipients]); // eslint-disable-line react-hooks/exhaustive-deps
  const send = async () => {
    setPending(true); setError('');
    try {
      const r = await api('/api/admin/digest/test-email', { method: 'POST', body: { to } });
      toast('Test email sent to ' + r.data.sent_to.join(', ') + ' through ' + (DIGEST_TRANSPORT[r.data.transport] || r.data.transport) + '.');
    } catch (err) { setError(err.message); }
    setPending(false);
  };
  return (
    <div className="card dg-card dg-transports">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="send" /></span>
        <div className="spacer"><h2>How it is sent</h2><p>Tried in the order you chose; if one fails the other is used.</p></div>
      </div>
      <div className="dg-card-body">
        <ul className="dg-transport-list">
          {(policy.transports || []).map(t => (
            <li key={t.name} data-transport={t.name}>
              <span className={cx('dg-t-icon', t.available && 'is-on')}><Icon name={t.name === 'gmail' ? 'mail' : 'server'} /></span>
              <div className="dg-t-main">
                <div className="dg-t-name">{DIGEST_TRANSPORT[t.name] || t.name}{t.available ? <Pill tone="green" dot>Ready</Pill> : <Pill tone="gray">Not set up</Pill>}</div>
                <div className="dg-t-desc">{t.description}</div>
              </div>
            </li>
          ))}
        </ul>
        <div className="dg-test">
          <SelectField label="Send a test email to" value={to} onChange={setTo}
            options={(policy.recipients || []).map(r => ({ value: r, label: r }))} />
          <Button icon="send" pending={pending} disabled={!to} onClick={send}>Send test email</Button>
        </div>
        <p className="dg-note">Only to an active admin’s address: this is not a relay.</p>
        <FormError>{error}</FormError>
      </div>
    </div>
  );
}

function DigestPreview({ policy, onSent }) {
  const toast = useToast();
  const [since, setSince] = useState(todayISO());
  const [until, setUntil] = useState(todayISO());
  const [state, setState] = useState({ loading: false, data: null, error: null });
  const [view, setView] = useState('html');
  const [confirm, setConfirm] = useState(false);
  const frame = useRef(null);
  const load = async () => {
    setState(s => ({ ...s, loading: true, error: null }));
    try {
      const r = await api('/api/admin/digest/preview', { method: 'POST', body: { since, until } });
      setState({ loading: false, data: r.data, error: null });
    } catch (err) { setState(s => ({ ...s, loading: false, error: err })); }
  };
  useEffect(() => { load(); }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const html = state.data && state.data.html;
  useEffect(() => { if (html && view === 'html') mountEmail(frame.current, html); }, [html, view]);
  const sendNow = async () => {  // the dialog shows a failure itself and closes on success
    try {
      const r = await api('/api/admin/digest/send-now', { method: 'POST', body: { since, until } });
      toast('Digest sent to ' + plural(r.data.sent_to.length, 'admin') + ' through ' + (DIGEST_TRANSPORT[r.data.transport] || r.data.transport) + '.');
    } finally { onSent(); }
  };
  const d = state.data;
  return (
    <section className="card dg-card dg-preview" aria-labelledby="dg-preview-title">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="eye" /></span>
        <div className="spacer"><h2 id="dg-preview-title">Preview</h2><p>The digest over any window, exactly as the email. Nothing is sent.</p></div>
      </div>
      <div className="dg-card-body">
        <div className="dg-window">
          <TextField label="From" type="date" value={since} max={until} onChange={setSince} />
          <TextField label="Through" type="date" value={until} min={since} onChange={setUntil} />
          <Button icon="refresh" pending={state.loading} onClick={load}>Preview</Button>
          <span className="spacer" />
          <Button variant="primary" icon="send" disabled={!d || !(policy.recipients || []).length} onClick={() => setConfirm(true)}>Send now</Button>
        </div>
        {state.error && <FormError>{state.error.message}</FormError>}
        {state.loading && !d && <div className="dg-mail-skeleton" aria-hidden="true"><span className="sk sk-w60" /><span className="sk sk-w90" /><span className="sk sk-w80" /></div>}
        {d && (
          <div className={cx('dg-mail', state.loading && 'is-stale')} data-narrative={d.narrative}>
            <div className="dg-mail-head">
              <div className="dg-mail-subject">{d.subject}</div>
              <div className="dg-mail-meta">
                <span>To {plural((policy.recipients || []).length, 'admin')}</span>
                {d.narrative === 'llm' ? <Pill tone="indigo" dot>Written by the local model</Pill> : <Pill tone="gray" dot>Structured summary</Pill>}
                {d.stats && <span>{plural(d.stats.emails || 0, 'email')} · {plural(d.stats.notes || 0, 'note')} · {plural(d.stats.changes || 0, 'change')}</span>}
              </div>
              <div className="dg-seg" role="tablist" aria-label="Show the email as">
                <button type="button" role="tab" aria-selected={view === 'html'} className={cx(view === 'html' && 'on')} onClick={() => setView('html')}>Email</button>
                <button type="button" role="tab" aria-selected={view === 'text'} className={cx(view === 'text' && 'on')} onClick={() => setView('text')}>Plain text</button>
              </div>
            </div>
            {view === 'html'
              ? <iframe ref={frame} className="dg-frame" title="Digest preview" sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
                  srcDoc="<!doctype html><html><head></head><body></body></html>" onLoad={() => mountEmail(frame.current, d.html)} />
              : <pre className="dg-text">{d.text}</pre>}
          </div>
        )}
      </div>
      {confirm && (
        <ConfirmDialog title="Send this digest now?" danger={false} confirmLabel="Send now"
          body={<>It goes to {plural((policy.recipients || []).length, 'active admin')} ({(policy.recipients || []).join(', ')}). The daily schedule is not changed.</>}
          onConfirm={sendNow} onClose={() => setConfirm(false)} />
      )}
    </section>
  );
}

function DigestLog({ refreshKey }) {
  const [state, load] = usePagedList('/api/admin/digest/log', DIGEST_PAGE);
  const first = useRef(true);
  useEffect(() => { if (first.current) first.current = false; else load(0); }, [refreshKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const { items, total, loading, error } = state;
  return (
    <section className="table-card dg-log" aria-labelledby="dg-log-title">
      <div className="card-head">
        <span className="imp-head-icon"><Icon name="history" /></span>
        <div className="spacer"><h2 id="dg-log-title">Sent</h2><p>Every digest and test email, newest first.</p></div>
        <Button size="sm" variant="ghost" icon="refresh" onClick={() => load(0)} disabled={loading} aria-label="Refresh the log">Refresh</Button>
      </div>
      {error && !items.length ? <div className="dg-card-body"><LoadError error={error} onRetry={() => load(0)} /></div> : (
        <div className="table-scroll">
          <table className="table dg-table">
            <thead><tr><th>When</th><th>What</th><th>Status</th><th>To</th><th>Through</th><th>Narrative</th><th className="num">Size</th></tr></thead>
            <tbody>
              {loading && !items.length ? <SkeletonRows cols={7} rows={3} />
                : !items.length ? <TableEmpty cols={7} icon="mail" title="Nothing sent yet">Send a test email or a digest now; the daily digest appears here each evening once it is on.</TableEmpty>
                : items.map(it => {
                  const [kind, kindTone] = DIGEST_KINDS[it.kind] || [it.kind, 'gray'];
                  const [status, tone] = DIGEST_STATUS[it.status] || [it.status, 'gray'];
                  return (
                    <tr key={it.id} data-send={it.id} data-status={it.status}>
                      <td data-label="When"><span title={fmtFull(it.started_at)}><Time value={it.started_at} /></span></td>
                      <td data-label="What"><Pill tone={kindTone}>{kind}</Pill>{it.day && <span className="dg-day">{it.day}</span>}</td>
                      <td data-label="Status"><span title={it.error || ''}><Pill tone={tone} dot>{status}</Pill></span>{it.error && <div className="dg-err">{it.error}</div>}</td>
                      <td data-label="To">{it.recipients.length ? <span title={it.recipients.join(', ')}>{it.recipients.length === 1 ? it.recipients[0] : plural(it.recipients.length, 'admin')}</span> : <span className="faint">—</span>}</td>
                      <td data-label="Through">{DIGEST_TRANSPORT[it.transport] || <span className="faint">—</span>}</td>
                      <td data-label="Narrative">{it.narrative === 'llm' ? 'Local model' : it.narrative === 'fallback' ? 'Structured' : <span className="faint">—</span>}</td>
                      <td data-label="Size" className="num">{it.size_bytes ? (it.size_bytes / 1024).toFixed(1) + ' KB' : <span className="faint">—</span>}</td>
                    </tr>
                  );
                })}
            </tbody>
          </table>
        </div>
      )}
      <PagedFoot state={state} load={load} />
    </section>
  );
}

function DigestTab() {
  const [policy, reload, setPolicy] = useAsync(() => api('/api/admin/digest/policy').then(r => r.data), []);
  const [logKey, setLogKey] = useState(0);
  if (policy.loading && !policy.data) return <div className="card dg-card"><div className="dg-card-body"><span className="sk sk-w60" /></div></div>;
  if (policy.error && !policy.data) return <LoadError error={policy.error} onRetry={() => reload()} />;
  const p = policy.data;
  return (
    <div className="stack-24 dg-tab">
      <div className="dg-cards">
        <DigestSchedule policy={p} onSaved={data => setPolicy(s => ({ ...s, data }))} />
        <DigestTransports policy={p} />
      </div>
      <DigestPreview policy={p} onSent={() => { setLogKey(k => k + 1); reload(true); }} />
      <DigestLog refreshKey={logKey} />
    </div>
  );
}
