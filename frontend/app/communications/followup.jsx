/* ========================================================================
   Follow-up drafts: from the investor panel or a conversation, a person composes a follow-up and
   saves it as a draft in their own Gmail (POST /api/email/drafts) to review and send there. The
   CRM never sends it. Without a connected mailbox the text is offered to copy or to open in the
   mail app (mailto:). The investor panel lists the drafts saved in Gmail (InvestorDrafts).
   ======================================================================== */
const FOLLOWUP_MODELS = {
  llm: { label: 'Suggested by the local model', icon: 'sparkles', tone: 'is-llm' },
  template: { label: 'Template', icon: 'file-text', tone: 'is-template' },
};

// mailto: with the addresses as they are and the subject and body URL-encoded.
function followupMailto(to, subject, body) {
  const addrs = (to || []).map(a => encodeURIComponent(a).replace(/%40/g, '@')).join(',');
  return 'mailto:' + addrs + '?subject=' + encodeURIComponent(subject || '') + '&body=' + encodeURIComponent(body || '');
}

function FollowupChips({ allowed, value, onChange, disabled }) {
  const toggle = addr => onChange(value.includes(addr) ? value.filter(a => a !== addr) : [...value, addr]);
  if (!allowed.length) return <div className="fu-to-none">This investor has no one with an email address yet. Add a person in the panel first.</div>;
  return (
    <div className="fu-chips" role="group" aria-label="To">
      {allowed.map(a => {
        const on = value.includes(a.addr);
        return (
          <button key={a.addr} type="button" className={cx('fu-chip', on && 'is-on')} aria-pressed={on ? 'true' : 'false'} disabled={disabled}
            title={(on ? 'Remove ' : 'Add ') + a.addr + (a.source === 'thread' ? ' (on this conversation)' : '')} onClick={() => toggle(a.addr)}>
            <span className="fu-chip-mark"><Icon name={on ? 'check' : 'plus'} /></span>
            <span className="fu-chip-name">{a.name || a.addr}</span>
            {a.name && <span className="fu-chip-addr">{a.addr}</span>}
            {a.source === 'thread' && <span className="fu-chip-src">on thread</span>}
          </button>
        );
      })}
    </div>
  );
}

function FollowupSkeleton() {
  return (
    <div className="fu-skeleton" aria-hidden="true">
      <span className="sk sk-w40" /><span className="sk" /><span className="sk" /><span className="sk sk-short" /><span className="sk" /><span className="sk sk-w40" />
    </div>
  );
}

function FollowupSaved({ saved, onClose }) {
  return (
    <div className="fu-done" role="status">
      <StateIcon icon="check-circle" tone="green" />
      <h3>Saved to your Gmail drafts</h3>
      <p>It waits in the Drafts of <b>{saved.mailbox}</b>{saved.gmail_thread_id ? ', inside the conversation' : ''}. Review it in Gmail: it goes out only when you choose to, from there.</p>
      <div className="fu-done-actions">
        <a className="btn btn-primary" href={saved.open_url} target="_blank" rel="noopener noreferrer"><Icon name="arrow-right" /><span>Open in Gmail</span></a>
        <Button onClick={onClose}>Done</Button>
      </div>
    </div>
  );
}

function FollowupDraftModal({ investorId, investorName, threadId, onClose, onSaved }) {
  const toast = useToast();
  const [state, setState] = useState({ loading: true, error: null, data: null });
  const [to, setTo] = useState([]);
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState(null);
  const [copied, setCopied] = useState(false);
  const bodyRef = useRef(null);
  const load = useCallback(() => {
    setState({ loading: true, error: null, data: null });
    setError('');
    api('/api/email/drafts/suggest', { method: 'POST', body: threadId ? { investor_id: investorId, thread_id: threadId } : { investor_id: investorId } })
      .then(r => { const d = r.data; setState({ loading: false, error: null, data: d }); setTo(d.to || []); setSubject(d.subject || ''); setBody(d.body || ''); })
      .catch(err => setState({ loading: false, error: err, data: null }));
  }, [investorId, threadId]);
  useEffect(() => { load(); }, [load]);
  useLayoutEffect(() => {  // the message field grows with its text (between its CSS min and max heights)
    const el = bodyRef.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = (el.scrollHeight + 2) + 'px';
  }, [body, state.data]);
  const d = state.data;
  const model = d && (FOLLOWUP_MODELS[d.model] || FOLLOWUP_MODELS.template);
  const connected = !!(d && d.mailbox);
  const ready = to.length > 0 && subject.trim() && body.trim();
  const save = async e => {
    e.preventDefault();
    if (!connected || !ready || pending) return;
    setPending(true); setError('');
    try {
      const r = await api('/api/email/drafts', { method: 'POST', body: { investor_id: investorId, thread_id: d.thread_id || null, to, subject, body, model: d.model } });
      setSaved(r.data);
      if (onSaved) onSaved(r.data);
    } catch (err) { setError(err.message || String(err)); }
    setPending(false);
  };
  const copy = async () => {
    const ok = await copyText(body, bodyRef.current);
    if (ok) { setCopied(true); setTimeout(() => setCopied(false), 1800); }
    else toast('Select the text and press ' + MOD_KEY + '+C to copy it.', 'info');
  };
  const title = saved ? 'Draft saved' : 'Draft follow-up';
  const description = saved ? null : [investorName && 'To ' + investorName, d && d.thread_subject && 'reply to “' + d.thread_subject + '”'].filter(Boolean).join(' · ');
  return (
    <Modal title={title} description={description || undefined} onClose={onClose} size="fu-modal">
      {saved ? <FollowupSaved saved={saved} onClose={onClose} /> : (
        <form onSubmit={save} className="fu-form">
          <div className="modal-body fu-body">
            {state.loading ? (
              <div className="fu-loading" role="status"><div className="fu-loading-line"><Spinner /><span>Drafting a follow-up…</span></div><FollowupSkeleton /></div>
            ) : state.error ? (
              <div className="fu-error">
                <FormError>{'Couldn’t suggest a follow-up: ' + state.error.message}</FormError>
                <Button size="sm" icon="refresh" onClick={load}>Try again</Button>
              </div>
            ) : (
              <>
                <div className="fu-meta">
                  <span className={cx('fu-badge', model.tone)} title={d.reason || 'From the conversation and recent touches, on this server’s own model'}>
                    <Icon name={model.icon} />{model.label}
                  </span>
                  {d.reason && d.model !== 'llm' && <span className="fu-reason" title={d.reason}>{capitalize(d.reason.replace(/; a template was used$/, ''))}</span>}
                </div>
                {!connected && (
                  <Callout tone="warn" icon="mail" title="Your Gmail isn’t connected">
                    Drafts are saved in your own mailbox. <a href="#/settings/email" onClick={onClose}>Connect it in Settings → Email</a>, or copy the text below or open it in your mail app.
                  </Callout>
                )}
                <div className="field">
                  <span className="field-label" id="fu-to-label">To</span>
                  <FollowupChips allowed={d.allowed || []} value={to} onChange={setTo} disabled={pending} />
                </div>
                <TextField label="Subject" value={subject} onChange={setSubject} maxLength={250} disabled={pending} />
                <div className="field">
                  <label className="field-label" htmlFor="fu-body">Message</label>
                  <textarea id="fu-body" ref={bodyRef} className="fu-text" value={body} onChange={e => setBody(e.target.value)} maxLength={20000} disabled={pending} spellCheck="true"
                    aria-describedby="fu-where" />
                  <div className="field-hint fu-where" id="fu-where">
                    {connected ? <><Icon name="lock" />Saved as a draft in {d.mailbox}, for you to review in Gmail.</> : <><Icon name="info" />Connect your Gmail to save drafts there.</>}
                  </div>
                </div>
                <FormError>{error}</FormError>
              </>
            )}
          </div>
          <div className="modal-foot fu-foot">
            <div className="fu-actions">
              <Button icon={copied ? 'check' : 'copy'} variant={copied ? 'success' : 'secondary'} disabled={!d || !body.trim()} onClick={copy}>{copied ? 'Copied' : 'Copy text'}</Button>
              {d && ready ? <a className="btn btn-secondary" href={followupMailto(to, subject, body)}><Icon name="mail" /><span>Open in mail app</span></a>
                : <Button icon="mail" disabled>Open in mail app</Button>}
              <Button type="submit" variant="primary" icon="inbox" pending={pending} disabled={!d || !connected || !ready}
                title={d && !connected ? 'Connect your Gmail in Settings → Email to save drafts there' : undefined}>Save as Gmail draft</Button>
            </div>
          </div>
        </form>
      )}
    </Modal>
  );
}

// The button that opens it; `onSaved` lets the caller refresh what lists the drafts.
function FollowupDraftButton({ investorId, investorName, threadId, onSaved, size = 'sm', variant = 'secondary', label = 'Draft follow-up' }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button size={size} variant={variant} icon="pencil" className="fu-open" onClick={e => { e.stopPropagation(); setOpen(true); }}>{label}</Button>
      {open && <FollowupDraftModal investorId={investorId} investorName={investorName} threadId={threadId} onClose={() => setOpen(false)} onSaved={onSaved} />}
    </>
  );
}

// The investor panel's list of drafts saved in Gmail (newest first).
function InvestorDrafts({ investorId, version }) {
  const [state] = useAsync(() => api('/api/email/drafts?investor=' + encodeURIComponent(investorId) + '&limit=5').then(r => r.data || []), [investorId, version]);
  const items = state.data || [];
  if (!items.length) return null;
  return (
    <div className="fu-list" aria-label="Drafts saved in Gmail" role="region">
      <div className="fu-list-h"><Icon name="inbox" /><span>Drafts saved in Gmail</span></div>
      <ul>
        {items.map(x => (
          <li key={x.id} className="fu-item">
            <div className="fu-item-main">
              <span className="fu-item-subject">{x.subject}</span>
              <span className="fu-item-meta">
                <span>{(x.by && x.by.name) || 'Someone'}</span>
                <span title={fmtFull(x.created_at)}><Time value={x.created_at} /></span>
                <span className="fu-item-to" title={(x.to || []).join(', ')}>to {(x.to || []).join(', ')}</span>
              </span>
            </div>
            <a className="fu-item-open" href={x.open_url} target="_blank" rel="noopener noreferrer" title={'Open in Gmail (' + x.mailbox + ')'}>Open in Gmail<Icon name="chevron-right" /></a>
          </li>
        ))}
      </ul>
    </div>
  );
}
