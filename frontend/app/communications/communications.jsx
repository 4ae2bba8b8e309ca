/* ========================================================================
   Communications (#/communications): the mail the team's mailboxes captured, as conversations
   grouped by investor (unmatched mail last), filtered by investor, mailbox, direction, dates and
   text; a conversation opens to its messages, a message to its headers, body and attachments.
   People (#/people): everyone at every investor with their last touch in mail.
   Settings -> Email (settings.jsx) sets capture up; the investor panel (grid/panel.jsx) shows an
   investor's latest threads with the pieces here (MailText, MailDirection, MailGlyph).
   ======================================================================== */
const COMMS_MESSAGE_PAGE = 200;   // messages per page when a filter other than the investor is on
const COMMS_THREAD_PAGE = 60;     // conversations per page otherwise
const COMMS_NO_FILTERS = { mailbox: '', direction: '', from: '', to: '', q: '', matched: false };
const MAIL_DIRECTIONS = {
  inbound: { label: 'Received', icon: 'arrow-down-left', tone: 'is-in' },
  outbound: { label: 'Sent', icon: 'arrow-up-right', tone: 'is-out' },
  internal: { label: 'Internal', icon: 'users', tone: 'is-team' },
};
// Glyphs the shared icon set does not have (same grid and stroke as core/icons.jsx).
const MAIL_GLYPHS = {
  'arrow-down-left': <><path d="M17 7 7 17M17 17H7V7" /></>,
  'arrow-up-right': <><path d="M7 17 17 7M7 7h10v10" /></>,
  paperclip: <><path d="m21.44 11.05-9.19 9.19a6 6 0 0 1-8.49-8.49l8.57-8.57A4 4 0 1 1 18 8.84l-8.59 8.57a2 2 0 0 1-2.83-2.83l8.49-8.48" /></>,
  'image-off': <><path d="m2 2 20 20M10.41 10.41a2 2 0 1 1-2.83-2.83M13.5 13.5 6 21M18 12l3 3M3.59 3.59A2 2 0 0 0 3 5v14a2 2 0 0 0 2 2h14c.55 0 1.05-.22 1.41-.59M21 15V5a2 2 0 0 0-2-2H9" /></>,
  quote: <><circle cx="6" cy="12" r="1.2" /><circle cx="12" cy="12" r="1.2" /><circle cx="18" cy="12" r="1.2" /></>,
};

function MailGlyph({ name, className, size }) {
  if (!MAIL_GLYPHS[name]) return <Icon name={name} className={className} size={size} />;
  return (
    <svg className={className} width={size || 16} height={size || 16} viewBox="0 0 24 24" fill="none" stroke="currentColor"
      strokeWidth={1.75} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true">{MAIL_GLYPHS[name]}</svg>
  );
}

function MailDirection({ direction }) {
  const d = MAIL_DIRECTIONS[direction] || MAIL_DIRECTIONS.internal;
  return <span className={cx('mail-dir', d.tone)} title={d.label}><MailGlyph name={d.icon} /><span className="sr-only">{d.label}</span></span>;
}

function mailName(a) { return a ? (a.name || a.addr || '') : ''; }
function mailDate(v) {
  const d = toDate(v);
  if (!d) return '—';
  return d.toLocaleString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}
function mailShortDate(v) {
  const d = toDate(v);
  if (!d) return '—';
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
  return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: d.getFullYear() === now.getFullYear() ? undefined : 'numeric' });
}
function mailIsTeam(addr, domains) {
  const a = String(addr || '').toLowerCase();
  return (domains || []).some(d => a.endsWith('@' + d) || a.endsWith('.' + d));
}

// A body's own words and the quoted history under them ("On … wrote:" and the > lines after).
function splitQuoted(text) {
  const all = String(text || '').replace(/\r\n?/g, '\n').replace(/\s+$/, '');
  const lines = all.split('\n');
  let tail = lines.length;  // where the trailing run of quoted (and blank) lines starts
  while (tail > 0 && (/^>/.test(lines[tail - 1]) || !lines[tail - 1].trim())) tail--;
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    const wrote = /^On .{4,240}wrote:\s*$/.test(l) || (/^On .{4,200}$/.test(l) && /wrote:\s*$/.test(lines[i + 1] || ''));
    if (wrote || (i >= tail && /^>/.test(l))) {
      const main = lines.slice(0, i).join('\n').replace(/\s+$/, '');
      return main.trim() ? [main, lines.slice(i).join('\n')] : [all, ''];
    }
  }
  return [all, ''];
}

function MailText({ text, compact }) {
  const [main, quoted] = useMemo(() => splitQuoted(text), [text]);
  const [show, setShow] = useState(false);
  return (
    <div className={cx('mail-text', compact && 'is-compact')}>
      <div className="mail-pre">{main}</div>
      {quoted && (
        <>
          <button type="button" className="mail-quote-toggle" aria-expanded={show ? 'true' : 'false'} onClick={() => setShow(s => !s)}
            title={show ? 'Hide the quoted text' : 'Show the quoted text'} aria-label={show ? 'Hide the quoted text' : 'Show the quoted text'}>
            <MailGlyph name="quote" />
          </button>
          {show && <div className="mail-pre is-quoted">{quoted}</div>}
        </>
      )}
    </div>
  );
}

// The app's CSP nonce: a srcdoc frame inherits the page's policy, so its one <style> needs it.
function mailFrameNonce() {
  const el = document.querySelector('style[nonce], script[nonce]');
  return (el && (el.nonce || el.getAttribute('nonce'))) || '';
}
const MAIL_FRAME_CSS = 'html{color-scheme:light}body{margin:0;padding:2px 2px 8px;font:14px/1.55 Inter,ui-sans-serif,system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;'
  + 'color:#1e293b;overflow-wrap:anywhere;word-break:break-word}a{color:#4338ca}p{margin:0 0 10px}img{max-width:100%;height:auto}'
  + 'img[data-blocked-src]{display:none}blockquote{margin:8px 0;padding-left:12px;border-left:3px solid #e4e7ec;color:#64748b}'
  + 'table{border-collapse:collapse;max-width:100%}td,th{padding:4px 8px;border:1px solid #eef0f3;text-align:left;vertical-align:top}'
  + 'th{background:#f8fafc;font-weight:600}pre,code{font:12.5px/1.5 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap}'
  + 'hr{border:0;border-top:1px solid #e4e7ec;margin:12px 0}ul,ol{padding-left:22px;margin:0 0 10px}';

// Sanitised HTML (the server's allowlist) in a frame with no scripts and no origin: nothing in it
// can reach the app. The frame cannot be measured from here, so its height follows the text.
function MailHtmlFrame({ html, text }) {
  const [tall, setTall] = useState(false);
  const box = useRef(null);
  const [width, setWidth] = useState(640);
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const on = () => setWidth(el.clientWidth || 640);
    on();
    const ro = window.ResizeObserver ? new ResizeObserver(on) : null;
    if (ro) ro.observe(el);
    return () => { if (ro) ro.disconnect(); };
  }, []);
  const doc = useMemo(() => '<!doctype html><html><head><meta charset="utf-8"><style nonce="' + mailFrameNonce() + '">' + MAIL_FRAME_CSS
    + '</style></head><body>' + html + '</body></html>', [html]);
  const guess = useMemo(() => {  // lines of text as the frame will wrap them, and the paragraphs' margins
    const h = String(html || '');
    const plain = h.replace(/<(br|\/p|\/div|\/tr|\/li|\/h\d|\/blockquote|hr)[^>]*>/gi, '\n').replace(/<[^>]+>/g, '').replace(/&[a-z#0-9]+;/gi, 'x');
    const perLine = Math.max(24, Math.floor(width / 7.2));
    const lines = plain.trim().replace(/\n\s*\n(\s*\n)+/g, '\n\n').split('\n').reduce((n, l) => n + Math.max(1, Math.ceil(l.trim().length / perLine)), 0);
    const blocks = (h.match(/<\/p>|<tr|<li|<blockquote|<h\d/gi) || []).length;
    return Math.min(640, Math.max(80, (lines || Math.ceil((text || '').length / perLine)) * 22 + blocks * 8 + 20));
  }, [html, text, width]);
  const blocked = /data-blocked-src=/.test(html || '');
  return (
    <div className="mail-html" ref={box}>
      <iframe className="mail-frame" sandbox="allow-popups allow-popups-to-escape-sandbox" srcDoc={doc} title="Message body" referrerPolicy="no-referrer" style={{ height: tall ? '80vh' : guess }} />
      <div className="mail-frame-foot">
        {blocked && <span className="mail-blocked" title="Remote images can tell the sender the mail was opened; they are never loaded."><MailGlyph name="image-off" />Remote images blocked</span>}
        <span className="spacer" />
        <button type="button" className="link-btn" onClick={() => setTall(t => !t)} aria-expanded={tall ? 'true' : 'false'}>{tall ? 'Collapse' : 'Expand'}</button>
      </div>
    </div>
  );
}

function MailAddr({ a, team }) {
  if (!a) return null;
  return <span className={cx('mail-addr', team && 'is-team')} title={a.addr}><b>{a.name || a.addr}</b>{a.name && a.addr && <span className="mail-addr-email">{a.addr}</span>}</span>;
}

function MailAttachments({ list }) {
  const toast = useToast();
  const [busy, setBusy] = useState(null);
  if (!list || !list.length) return null;
  const get = async a => {
    setBusy(a.id);
    try { await downloadFile('/api/email/attachments/' + encodeURIComponent(a.id), a.filename || 'attachment'); }
    catch (err) { toast('Could not download ' + (a.filename || 'the attachment') + ': ' + err.message, 'error'); }
    setBusy(null);
  };
  return (
    <ul className="mail-atts" aria-label="Attachments">
      {list.map(a => (
        <li key={a.id}>
          {a.kept ? (
            <button type="button" className="mail-att" onClick={() => get(a)} disabled={busy === a.id} title={'Download ' + (a.filename || 'attachment')}>
              {busy === a.id ? <Spinner /> : <Icon name="file-text" />}
              <span className="mail-att-name">{a.filename || 'attachment'}</span>
              <span className="mail-att-size">{fmtBytes(a.size)}</span>
              <Icon name="download" className="mail-att-go" />
            </button>
          ) : (
            <span className="mail-att is-gone" title="Not kept: too large, or on mail matched to no investor">
              <Icon name="file-text" /><span className="mail-att-name">{a.filename || 'attachment'}</span><span className="mail-att-size">not kept</span>
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

function MailNoBody() {
  return <div className="mail-nobody"><Icon name="lock" /><span>Not matched to an investor: only the headers are kept.</span></div>;
}

/* ---------- a message: headers, body, attachments ---------- */
function MailMessageDetail({ item, teamDomains }) {
  const [state] = useAsync(() => api('/api/email/messages/' + encodeURIComponent(item.id)).then(r => r.data), [item.id]);
  const [plain, setPlain] = useState(false);
  const m = state.data;
  const to = (m || item).to || [], cc = (m || item).cc || [];
  const investors = (m || item).investors || [];
  const matched = (m || item).matched;
  let body;
  if (!matched) body = <MailNoBody />;
  else if (!m && state.error) body = <div className="mail-nobody is-error"><Icon name="alert-circle" /><span>Couldn’t load this message: {state.error.message}</span></div>;
  else if (!m) body = item.body_text ? <MailText text={item.body_text} /> : <div className="mail-loading"><span className="sk" /><span className="sk" /><span className="sk sk-short" /></div>;
  else if (m.body_html && !plain) body = <MailHtmlFrame html={m.body_html} text={m.body_text} />;
  else if (m.body_text) body = <MailText text={m.body_text} />;
  else body = <div className="mail-nobody"><Icon name="info" /><span>This message has no text.</span></div>;
  return (
    <div className="mail-detail">
      <dl className="mail-headers">
        <dt>From</dt><dd><MailAddr a={item.from} team={item.from && mailIsTeam(item.from.addr, teamDomains)} /></dd>
        {to.length > 0 && <><dt>To</dt><dd>{to.map((a, i) => <MailAddr key={i} a={a} team={mailIsTeam(a.addr, teamDomains)} />)}</dd></>}
        {cc.length > 0 && <><dt>Cc</dt><dd>{cc.map((a, i) => <MailAddr key={i} a={a} team={mailIsTeam(a.addr, teamDomains)} />)}</dd></>}
        <dt>Date</dt><dd><time dateTime={item.sent_at} title={fmtFull(item.sent_at)}>{mailDate(item.sent_at)}</time></dd>
        {m && m.mailboxes && m.mailboxes.length > 0 && <><dt>Seen in</dt><dd className="mail-boxes">{m.mailboxes.map(b => <span key={b} className="chip">{b}</span>)}</dd></>}
        {investors.length > 0 && (
          <><dt>Investor</dt><dd className="mail-invs">{investors.map(inv => (
            <a key={inv.id} className="mail-inv" href={'#/grid?investor=' + encodeURIComponent(inv.id)}
              title={inv.match_kind === 'domain' ? 'Matched by the domain of ' + inv.address : 'Matched by the address ' + inv.address}>
              <span className="mail-inv-name">{inv.name}</span><span className="mail-inv-kind">{inv.match_kind === 'domain' ? 'domain' : 'address'}</span>
            </a>))}</dd></>
        )}
      </dl>
      {m && m.body_html && m.body_text && (
        <div className="seg mail-view" role="group" aria-label="Show the message as">
          <button type="button" className={cx('seg-btn', !plain && 'is-on')} aria-pressed={!plain ? 'true' : 'false'} onClick={() => setPlain(false)}>Formatted</button>
          <button type="button" className={cx('seg-btn', plain && 'is-on')} aria-pressed={plain ? 'true' : 'false'} onClick={() => setPlain(true)}>Plain text</button>
        </div>
      )}
      <div className="mail-body">{body}</div>
      {m && <MailAttachments list={m.attachment_list} />}
      {m && m.problems && m.problems.length > 0 && (
        <div className="mail-problems" title={m.problems.join('\n')}><Icon name="info" />Read with {plural(m.problems.length, 'workaround')}: {m.problems[0]}{m.problems.length > 1 ? '…' : ''}</div>
      )}
    </div>
  );
}

function MailMessage({ item, open, onToggle, teamDomains }) {
  const from = item.from || {};
  const recipients = [...(item.to || []), ...(item.cc || [])];
  const toText = recipients.slice(0, 2).map(mailName).join(', ') + (recipients.length > 2 ? ' +' + (recipients.length - 2) : '');
  return (
    <article className={cx('mail-msg', open && 'is-open')} aria-label={'Message from ' + (mailName(from) || 'unknown sender')}>
      <button type="button" className="mail-msg-head" aria-expanded={open ? 'true' : 'false'} onClick={onToggle}>
        <Avatar name={mailName(from) || '?'} size="sm" />
        <span className="mail-msg-who">
          <span className="mail-msg-from">{mailName(from) || 'Unknown sender'}</span>
          {open ? <span className="mail-msg-to">{toText ? 'to ' + toText : ''}</span>
            : <span className="mail-msg-snip">{item.snippet || (item.matched ? '' : 'Headers only')}</span>}
        </span>
        <span className="mail-msg-when">
          {item.attachments > 0 && <MailGlyph name="paperclip" className="mail-clip" />}
          <time dateTime={item.sent_at} title={mailDate(item.sent_at)}>{mailShortDate(item.sent_at)}</time>
        </span>
      </button>
      {open && <MailMessageDetail item={item} teamDomains={teamDomains} />}
    </article>
  );
}

function MailThreadView({ threadId, teamDomains, investor }) {
  const [state, reload] = useAsync(() => api('/api/email/threads/' + encodeURIComponent(threadId)).then(r => r.data), [threadId]);
  const [open, setOpen] = useState(null);
  const t = state.data;
  const items = (t && t.items) || [];
  const shown = open || new Set(items.length ? [items[items.length - 1].id] : []);
  const toggle = id => setOpen(() => { const next = new Set(shown); if (next.has(id)) next.delete(id); else next.add(id); return next; });
  if (!t && state.error) return <div className="cm-thread-body"><div className="mail-nobody is-error"><Icon name="alert-circle" /><span>Couldn’t load this conversation: {state.error.message}</span><Button size="sm" onClick={() => reload()}>Try again</Button></div></div>;
  if (!t) return <div className="cm-thread-body"><div className="mail-loading"><span className="sk" /><span className="sk sk-short" /></div></div>;
  // A follow-up answers the conversation for the investor it is grouped under (mail matched to
  // no investor has no one to follow up with).
  const followup = investor && (t.investors || []).some(i => i.id === investor.id) ? investor : (t.investors || [])[0];
  return (
    <div className="cm-thread-body">
      {(items.length > 2 || followup) && (
        <div className="cm-thread-tools">
          {items.length > 2 && <span className="muted small">{plural(items.length, 'message')} · {mailShortDate(t.first_at)} – {mailShortDate(t.last_at)}</span>}
          <span className="spacer" />
          {items.length > 2 && (
            <button type="button" className="link-btn small" onClick={() => setOpen(shown.size === items.length ? new Set([items[items.length - 1].id]) : new Set(items.map(i => i.id)))}>
              {shown.size === items.length ? 'Collapse all' : 'Expand all'}
            </button>
          )}
          {followup && <FollowupDraftButton investorId={followup.id} investorName={followup.name} threadId={t.id} />}
        </div>
      )}
      {items.map(item => <MailMessage key={item.id} item={item} open={shown.has(item.id)} onToggle={() => toggle(item.id)} teamDomains={teamDomains} />)}
    </div>
  );
}

/* ---------- investors for the picker (the grid's, read once a minute at most) ---------- */
let commsInvestorCache = null;
function loadCommsInvestors() {
  if (commsInvestorCache && Date.now() - commsInvestorCache.at < 60000) return commsInvestorCache.promise;
  const promise = api('/api/fundraising/grid?shape=compact').then(r => {
    const cols = (r.data && r.data.columns) || [];
    const at = Math.max(0, cols.findIndex(c => c.primary));
    return ((r.data && r.data.rows) || []).map(row => ({ id: row[0], name: String(row[2 + at] || 'Untitled investor') }))
      .sort((a, b) => a.name.localeCompare(b.name));
  });
  commsInvestorCache = { at: Date.now(), promise };
  promise.catch(() => { commsInvestorCache = null; });
  return promise;
}

function investorMatches(list, text) {
  const q = text.trim().toLowerCase();
  if (!q) return list.slice(0, 8);
  const starts = [], words = [], inside = [];
  list.forEach(inv => {
    const n = inv.name.toLowerCase();
    if (n.startsWith(q)) starts.push(inv);
    else if (n.split(/[\s&(),.-]+/).some(w => w.startsWith(q))) words.push(inv);
    else if (n.includes(q)) inside.push(inv);
  });
  return [...starts, ...words, ...inside].slice(0, 8);
}

function InvestorPicker({ investors, value, valueName, onChange }) {
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const [hl, setHl] = useState(0);
  const wrap = useRef(null);
  const input = useRef(null);
  const listId = useId();
  const options = useMemo(() => investorMatches(investors || [], text), [investors, text]);
  useEffect(() => {
    if (!open) return undefined;
    const down = e => { if (wrap.current && !wrap.current.contains(e.target)) setOpen(false); };
    document.addEventListener('pointerdown', down);
    return () => document.removeEventListener('pointerdown', down);
  }, [open]);
  const pick = inv => { setText(''); setOpen(false); onChange(inv); };
  if (value) {
    return (
      <div className="cm-picked" title={valueName}>
        <span className={cx('cm-mark is-xs', 'av-' + (hashStr(valueName || '') % 8))} aria-hidden="true">{initials(valueName)}</span>
        <span className="cm-picked-name">{valueName || 'Investor'}</span>
        <button type="button" className="icon-btn" aria-label={'Show every investor’s mail (clear ' + (valueName || 'the investor') + ')'} title="All investors" onClick={() => { onChange(null); setTimeout(() => input.current && input.current.focus(), 0); }}><Icon name="x" /></button>
      </div>
    );
  }
  const onKey = e => {
    if (e.key === 'ArrowDown') { e.preventDefault(); setOpen(true); setHl(h => Math.min(options.length - 1, h + 1)); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); setHl(h => Math.max(0, h - 1)); }
    else if (e.key === 'Enter' && open && options[hl]) { e.preventDefault(); pick(options[hl]); }
    else if (e.key === 'Escape') { setOpen(false); }
  };
  return (
    <div className="cm-picker" ref={wrap}>
      <Icon name="search" className="cm-picker-icon" />
      <input ref={input} className="input" value={text} placeholder={investors ? 'Investor…' : 'Loading investors…'} aria-label="Investor"
        role="combobox" aria-autocomplete="list" aria-expanded={open ? 'true' : 'false'} aria-controls={listId}
        onChange={e => { setText(e.target.value); setOpen(true); setHl(0); }} onClick={() => setOpen(true)} onBlur={() => setOpen(false)} onKeyDown={onKey} />
      {open && investors && (
        <ul className="cm-picker-list" role="listbox" id={listId} aria-label="Investors">
          {options.length ? options.map((inv, i) => (
            <li key={inv.id} role="option" aria-selected={i === hl ? 'true' : 'false'} className={cx(i === hl && 'is-hl')}
              onPointerDown={e => e.preventDefault()} onMouseEnter={() => setHl(i)} onClick={() => pick(inv)}>
              <span className={cx('cm-mark is-xs', 'av-' + (hashStr(inv.name) % 8))} aria-hidden="true">{initials(inv.name)}</span>
              <span className="cm-picker-name">{inv.name}</span>
            </li>
          )) : <li className="cm-picker-none" role="presentation">No investor matches “{text.trim()}”</li>}
        </ul>
      )}
    </div>
  );
}

function useCommsDebounced(value, ms) {
  const [v, setV] = useState(value);
  useEffect(() => { const t = setTimeout(() => setV(value), ms); return () => clearTimeout(t); }, [value, ms]);
  return v;
}

/* ---------- the list: pages of conversations, merged ---------- */
function commsUrl(investor, f, offset) {
  const q = new URLSearchParams();
  if (investor) q.set('investor', investor);
  const threadMode = !f.mailbox && !f.direction && !f.from && !f.to && !f.q && !f.matched;
  if (!threadMode) {
    if (f.mailbox) q.set('mailbox', f.mailbox);
    if (f.direction) q.set('direction', f.direction);
    if (f.from) q.set('from', f.from);
    if (f.to) q.set('to', f.to);
    if (f.q) q.set('q', f.q);
    if (f.matched) q.set('matched', '1');
  }
  q.set('limit', threadMode ? COMMS_THREAD_PAGE : COMMS_MESSAGE_PAGE);
  q.set('offset', offset);
  return { url: (threadMode ? '/api/email/threads?' : '/api/email/activity?') + q, threadMode };
}

// Conversations from a page: the thread list as it comes, or messages folded into their threads
// (newest first, so a thread's first message seen is its latest that matches).
function mergeComms(map, rows, threadMode, domains) {
  const next = new Map(map);
  if (threadMode) {
    rows.forEach(t => next.set(t.id, { id: t.id, subject: t.subject, last_at: t.last_at, first_at: t.first_at, count: t.messages,
      investors: t.investors || [], people: (t.participants || []).map(p => ({ name: p.name, addr: p.addr, team: p.team })),
      last: t.last, attachments: 0 }));
    return next;
  }
  rows.forEach(m => {
    const old = next.get(m.thread_id);
    const t = old ? { ...old, investors: [...old.investors], people: [...old.people] }
      : { id: m.thread_id, subject: String(m.subject || '').replace(/^((re|fwd?|aw|wg|sv|tr)\s*:\s*)+/i, ''), last_at: m.sent_at, first_at: m.sent_at, count: 0, investors: [], people: [], attachments: 0,
        last: { direction: m.direction, from: mailName(m.from), snippet: m.snippet } };
    t.count += 1;
    t.attachments += m.attachments || 0;
    if (m.sent_at < t.first_at) t.first_at = m.sent_at;
    (m.investors || []).forEach(inv => { if (!t.investors.some(x => x.id === inv.id)) t.investors.push({ id: inv.id, name: inv.name }); });
    [m.from, ...(m.to || []), ...(m.cc || [])].filter(Boolean).forEach(a => {
      if (!t.people.some(p => p.addr === a.addr)) t.people.push({ name: a.name, addr: a.addr, team: mailIsTeam(a.addr, domains) });
    });
    next.set(t.id, t);
  });
  return next;
}

function groupComms(threads, investor, investorName) {
  const groups = new Map();
  threads.forEach(t => {
    const inv = investor ? (t.investors.find(i => i.id === investor) || { id: investor, name: investorName }) : t.investors[0];
    const key = inv ? inv.id : '';
    if (!groups.has(key)) groups.set(key, { key, investor: inv || null, threads: [], last: '' });
    const g = groups.get(key);
    g.threads.push(t);
    if (String(t.last_at) > g.last) g.last = String(t.last_at);
  });
  const list = [...groups.values()];
  list.forEach(g => g.threads.sort((a, b) => String(b.last_at).localeCompare(String(a.last_at))));
  return list.sort((a, b) => (!a.investor) - (!b.investor) || b.last.localeCompare(a.last));
}

function threadPeople(t) {
  const outside = t.people.filter(p => !p.team), team = t.people.filter(p => p.team);
  const names = [...outside, ...team].map(p => p.name || p.addr);
  return names.slice(0, 3).join(', ') + (names.length > 3 ? ' +' + (names.length - 3) : '');
}

function CommsThread({ thread: t, open, onToggle, groupInvestor, teamDomains }) {
  const others = t.investors.filter(i => !groupInvestor || i.id !== groupInvestor);
  const last = t.last || {};
  return (
    <li className={cx('cm-thread', open && 'is-open')} data-thread={t.id}>
      <button type="button" className="cm-thread-row" aria-expanded={open ? 'true' : 'false'} onClick={onToggle}>
        <MailDirection direction={last.direction} />
        <span className="cm-thread-main">
          <span className="cm-thread-top">
            <span className="cm-subject">{t.subject || '(no subject)'}</span>
            <span className="cm-people">{threadPeople(t)}</span>
          </span>
          <span className="cm-snippet">
            {last.snippet ? <><span className="cm-snippet-from">{last.from}:</span> {last.snippet}</>
              : <span className="cm-snippet-none">{last.from ? last.from + ' · ' : ''}headers only</span>}
          </span>
          {others.length > 0 && <span className="cm-also">{others.slice(0, 3).map(i => <span key={i.id} className="cm-also-inv">{i.name}</span>)}</span>}
        </span>
        <span className="cm-thread-meta">
          {t.attachments > 0 && <MailGlyph name="paperclip" className="mail-clip" />}
          {t.count > 1 && <span className="cm-count" title={plural(t.count, 'message')}>{t.count}</span>}
          <span className="cm-when"><Time value={t.last_at} /></span>
          <Icon name="chevron-down" className="cm-chev" />
        </span>
      </button>
      {open && <MailThreadView threadId={t.id} teamDomains={teamDomains} investor={groupInvestor ? t.investors.find(i => i.id === groupInvestor) || null : null} />}
    </li>
  );
}

function CommsGroup({ group, filtered, onOnly, openIds, onToggle, teamDomains }) {
  const inv = group.investor;
  return (
    <section className={cx('cm-group', !inv && 'is-unmatched')} aria-label={inv ? inv.name : 'Not matched to an investor'}>
      <header className="cm-group-head">
        {inv ? <span className={cx('cm-mark', 'av-' + (hashStr(inv.name || '') % 8))} aria-hidden="true">{initials(inv.name)}</span>
          : <span className="cm-mark is-none" aria-hidden="true"><Icon name="inbox" /></span>}
        <div className="cm-group-title">
          <h2>{inv ? inv.name : 'Not matched to an investor'}</h2>
          <span className="cm-group-n">{plural(group.threads.length, 'conversation')}{!inv && ' · only the headers are kept'}</span>
        </div>
        <span className="spacer" />
        {inv && !filtered && <button type="button" className="link-btn cm-only" onClick={() => onOnly(inv)}>Only this investor</button>}
        {inv && <a className="cm-open-grid" href={'#/grid?investor=' + encodeURIComponent(inv.id)}>Open in grid<Icon name="chevron-right" /></a>}
      </header>
      <ul className="cm-threads">
        {group.threads.map(t => <CommsThread key={t.id} thread={t} open={openIds.has(t.id)} onToggle={() => onToggle(t.id)} groupInvestor={inv && inv.id} teamDomains={teamDomains} />)}
      </ul>
    </section>
  );
}

function CommsSkeleton() {
  return (
    <div className="cm-list cm-skeleton" aria-hidden="true">
      {[0, 1].map(g => (
        <section className="cm-group" key={g}>
          <header className="cm-group-head"><span className="cm-mark is-none" /><div className="cm-group-title"><span className="sk sk-w40" /></div></header>
          <ul className="cm-threads">{[0, 1, 2].map(i => <li className="cm-thread" key={i}><div className="cm-thread-row is-sk"><span className="sk" /><span className="sk sk-short" /></div></li>)}</ul>
        </section>
      ))}
    </div>
  );
}

/* ---------- Search content: what the mail says (GET /api/search?type=email), hits by investor ---------- */
function CommsContentHit({ hit, query, teamDomains }) {
  const [open, setOpen] = useState(false);
  return (
    <li className={cx('cm-hit', open && 'is-open')} data-hit={hit.id}>
      <button type="button" className="cm-hit-row" aria-expanded={open ? 'true' : 'false'} onClick={() => setOpen(o => !o)}>
        <SearchKindIcon type="email" />
        <span className="cm-hit-main">
          <span className="cm-hit-title">{hit.title || '(no subject)'}</span>
          {hit.snippet && <span className="cm-hit-snip">{searchSpans(...searchSnippet(hit), query)}</span>}
        </span>
        <span className="cm-hit-when">{hit.date && <time dateTime={String(hit.date)} title={fmtFull(hit.date)}>{mailShortDate(hit.date)}</time>}<Icon name="chevron-down" className="cm-chev" /></span>
      </button>
      {open && <div className="cm-hit-body"><CommsHitMessage id={hit.id} teamDomains={teamDomains} /></div>}
    </li>
  );
}

function CommsHitMessage({ id, teamDomains }) {
  const [state, reload] = useAsync(() => api('/api/email/messages/' + encodeURIComponent(id)).then(r => r.data), [id]);
  if (state.error) return <div className="mail-nobody is-error"><Icon name="alert-circle" /><span>Couldn’t open this message: {state.error.message}</span><Button size="sm" onClick={() => reload()}>Try again</Button></div>;
  if (!state.data) return <div className="mail-loading"><span className="sk" /><span className="sk sk-short" /></div>;
  return <MailMessageDetail item={state.data} teamDomains={teamDomains} />;
}

function CommsContentResults({ text, investor, from, to, teamDomains, onClear }) {
  const params = (investor ? '&investor=' + encodeURIComponent(investor) : '') + '&type=email' + (from ? '&from=' + from : '') + (to ? '&to=' + to : '');
  const res = useSearchResults(text, params);
  const groups = useMemo(() => searchGroups(res.hits), [res.hits]);
  if (!text.trim()) {
    return <div className="card"><CenterState icon="search" tone="indigo" title="Search what the mail says">Type words from a message’s subject or body, like “side letter” or “capital call”. Hits come from the mail matched to your investors.</CenterState></div>;
  }
  if (res.error && !res.loading) return <LoadError error={res.error} onRetry={onClear} />;
  if (!res.hits.length && (res.loading || res.q !== text.trim())) return <CommsSkeleton />;
  if (!res.hits.length) {
    return <div className="card"><CenterState icon="search" title={'No mail says “' + res.q + '”'} action={<Button onClick={onClear}>Clear search</Button>}>Try other words, a wider date range{investor ? ', or every investor' : ''}.</CenterState></div>;
  }
  return (
    <div className={cx('cm-hits', res.loading && 'is-stale')}>
      {groups.map(g => (
        <section key={g.key || 'none'} className="cm-hit-group" aria-label={g.investor ? g.investor.name : 'Not matched to an investor'}>
          <header className="cm-group-head">
            {g.investor ? <span className={cx('cm-mark', 'av-' + (hashStr(g.investor.name || '') % 8))} aria-hidden="true">{initials(g.investor.name)}</span>
              : <span className="cm-mark is-none" aria-hidden="true"><Icon name="inbox" /></span>}
            <div className="cm-group-title">
              <h2>{g.investor ? g.investor.name : 'Not matched to an investor'}</h2>
              <span className="cm-group-n">{plural(g.hits.length, 'message')}</span>
            </div>
            <span className="spacer" />
            {g.investor && <a className="cm-open-grid" href={'#/grid?investor=' + encodeURIComponent(g.investor.id)}>Open in grid<Icon name="chevron-right" /></a>}
          </header>
          <ul className="cm-hit-list">{g.hits.map(h => <CommsContentHit key={h.id} hit={h} query={res.q} teamDomains={teamDomains} />)}</ul>
        </section>
      ))}
      <div className="cm-hits-foot">
        <span>{plural(res.hits.length, 'message')} mention “{res.q}”</span>
        <span className="spacer" />
        {SEARCH_MODES[res.mode] && <span className="sp-mode" title={SEARCH_MODES[res.mode][1]} data-mode={res.mode}><span className="sp-mode-dot" />{SEARCH_MODES[res.mode][0]}</span>}
      </div>
    </div>
  );
}

function CommunicationsPage({ route }) {
  usePageTitle('Communications');
  const phone = useMediaQuery('(max-width: 640px)');
  const investor = route.query.investor || '';
  const [f, setF] = useState(COMMS_NO_FILTERS);
  const [content, setContent] = useState(() => route.query.search !== undefined);  // search what the mail says
  const [text, setText] = useState(route.query.search || '');
  useEffect(() => { if (route.query.search !== undefined) { setContent(true); setText(route.query.search); } }, [route.query.search]);
  const q = useCommsDebounced(content ? '' : text.trim(), 300);
  const [more, setMore] = useState(false);
  const [investors, setInvestors] = useState(null);
  const [status, setStatus] = useState(null);
  const [openIds, setOpenIds] = useState(() => new Set());
  const [data, setData] = useState({ threads: new Map(), total: null, offset: 0, loading: true, error: null, threadMode: true, investor: '' });
  const seq = useRef(0);
  const filters = useMemo(() => ({ ...f, q }), [f, q]);
  const domains = (status && status.team_domains) || [];
  const domainsRef = useLatest(domains);
  useEffect(() => {
    let live = true;
    loadCommsInvestors().then(list => { if (live) setInvestors(list); }).catch(() => { if (live) setInvestors([]); });
    api('/api/email/status').then(r => { if (live) setStatus(r.data || {}); }).catch(() => { if (live) setStatus({}); });
    return () => { live = false; };
  }, []);
  const load = useCallback(async offset => {
    const my = ++seq.current;
    const { url, threadMode } = commsUrl(investor, filters, offset);
    setData(d => ({ ...d, loading: true, error: null }));  // what is shown stays, dimmed, until the answer
    try {
      const r = await api(url);
      if (my !== seq.current) return;
      const rows = r.data || [];
      setData(d => ({ threads: mergeComms(offset ? d.threads : new Map(), rows, threadMode, domainsRef.current), total: r.total,
        offset: offset + rows.length, loading: false, error: null, threadMode, investor }));
    } catch (err) {
      if (my !== seq.current) return;
      setData(d => ({ ...d, loading: false, error: err }));
    }
  }, [investor, filters]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => { setOpenIds(new Set()); load(0); }, [load]);
  const investorName = investor ? ((investors || []).find(i => i.id === investor) || {}).name
    || (([...data.threads.values()].flatMap(t => t.investors).find(i => i.id === investor)) || {}).name || '' : '';
  // Grouped by the investor the loaded page was asked for (not one picked since, still loading).
  const groups = useMemo(() => groupComms([...data.threads.values()], data.investor, investorName), [data.threads, data.investor, investorName]);
  const setInvestor = inv => navigate(inv ? '#/communications?investor=' + encodeURIComponent(inv.id) : '#/communications');
  const set = k => v => setF(p => ({ ...p, [k]: v }));
  const active = Object.keys(COMMS_NO_FILTERS).filter(k => k !== 'q' && f[k]).length;
  const anyFilter = !!investor || active > 0 || !!text.trim();
  const clear = () => { setF(COMMS_NO_FILTERS); setText(''); if (investor) navigate('#/communications'); };
  const toggle = id => setOpenIds(s => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const hasMore = data.total !== null && data.offset < data.total;
  const noMailAtAll = !anyFilter && data.total === 0 && !data.loading;
  const accounts = (status && status.accounts) || [];
  const showMore = !phone || more;
  return (
    <div className="page cm-page">
      <div className="page-head">
        <div>
          <h1>Communications</h1>
          <p>Mail with your investors from the team’s mailboxes, matched by address and domain and grouped by investor.</p>
        </div>
        <div className="actions">
          <Button icon="users" onClick={() => navigate('#/people')}>People</Button>
          <Button icon="sliders" variant="ghost" onClick={() => navigate('#/settings/email')} aria-label="Email settings" title="Email settings: mailboxes, imports, proposals" />
        </div>
      </div>
      {!noMailAtAll && <div className="cm-filters" role="search" aria-label="Filter mail">
        <div className="cm-f cm-f-investor">
          <InvestorPicker investors={investors} value={investor} valueName={investorName} onChange={setInvestor} />
        </div>
        <div className="cm-f cm-f-text search">
          <Icon name="search" />
          <input className="input" type="search" value={text} onChange={e => setText(e.target.value)} aria-label={content ? 'Search content' : 'Search mail'}
            placeholder={content ? 'Search what the mail says…' : 'Search subject, people, text…'} />
        </div>
        <div className="seg cm-f-mode" role="group" aria-label="Search mode">
          <button type="button" className={cx('seg-btn', !content && 'is-on')} aria-pressed={!content ? 'true' : 'false'} onClick={() => setContent(false)}>Filter</button>
          <button type="button" className={cx('seg-btn', content && 'is-on')} aria-pressed={content ? 'true' : 'false'} onClick={() => setContent(true)}>Search content</button>
        </div>
        {phone && (
          <button type="button" className={cx('btn btn-secondary btn-sm cm-more-btn', active && 'is-on')} aria-expanded={more ? 'true' : 'false'} onClick={() => setMore(m => !m)}>
            <Icon name="filter" /><span>Filters{active ? ' · ' + active : ''}</span>
          </button>
        )}
        <span className="cm-f-break" aria-hidden="true" />
        {showMore && (
          <>
            {!content && <label className="cm-f cm-f-sel">
              <span className="sr-only">Mailbox</span>
              <select className="select select-sm" value={f.mailbox} onChange={e => set('mailbox')(e.target.value)} aria-label="Mailbox">
                <option value="">All mailboxes</option>
                {accounts.map(a => <option key={a.id} value={a.email}>{a.email}</option>)}
              </select>
            </label>}
            {!content && <label className="cm-f cm-f-sel">
              <span className="sr-only">Direction</span>
              <select className="select select-sm" value={f.direction} onChange={e => set('direction')(e.target.value)} aria-label="Direction">
                <option value="">Any direction</option>
                {Object.entries(MAIL_DIRECTIONS).map(([k, d]) => <option key={k} value={k}>{d.label}</option>)}
              </select>
            </label>}
            <div className="cm-f cm-f-dates">
              <input className="input" type="date" value={f.from} max={f.to || undefined} onChange={e => set('from')(e.target.value)} aria-label="From date" title="From (inclusive)" />
              <span className="cm-dash" aria-hidden="true">–</span>
              <input className="input" type="date" value={f.to} min={f.from || undefined} onChange={e => set('to')(e.target.value)} aria-label="To date" title="To (inclusive)" />
            </div>
            {!content && <label className="cm-f cm-f-switch">
              <Switch checked={f.matched} onChange={set('matched')} label="Matched only" />
              <span aria-hidden="true">Matched only</span>
            </label>}
          </>
        )}
        {anyFilter && <><span className="spacer" /><button type="button" className="link-btn cm-clear" onClick={clear}>Clear filters</button></>}
      </div>}
      {!content && <LoadError error={data.error} onRetry={() => load(0)} />}
      {content && !noMailAtAll ? <CommsContentResults text={text} investor={investor} from={f.from} to={f.to} teamDomains={domains} onClear={() => setText('')} />
        : data.loading && !data.threads.size ? <CommsSkeleton />
        : noMailAtAll ? (
          <div className="card">
            <CenterState icon="inbox" tone="indigo" title="No mail captured yet"
              action={<div className="cm-empty-actions"><Button variant="primary" icon="upload" onClick={() => navigate('#/settings/email')}>Import an mbox</Button><Button icon="link" onClick={() => navigate('#/settings/email')}>Connect Gmail</Button></div>}>
              Export your mail from Google Takeout and import the .mbox, or connect the team’s Gmail in <a href="#/settings/email">Settings → Email</a>. Conversations with your investors then appear here, grouped by investor.
            </CenterState>
          </div>
        ) : !data.threads.size ? (
          <div className="card">
            <CenterState icon="search" title={investor && !active && !text.trim() ? 'No mail with ' + (investorName || 'this investor') + ' yet' : 'No mail matches these filters'}
              action={<Button onClick={clear}>Clear filters</Button>}>
              {investor && !active && !text.trim() ? 'Mail appears here once someone at this investor writes to the team or the team writes to them.' : 'Try a wider date range, another mailbox, or fewer words.'}
            </CenterState>
          </div>
        ) : (
          <div className={cx('cm-list', data.loading && 'is-stale')}>
            {groups.map(g => <CommsGroup key={g.key || 'unmatched'} group={g} filtered={!!investor} onOnly={setInvestor} openIds={openIds} onToggle={toggle} teamDomains={domains} />)}
            <div className="cm-foot">
              <span>{data.threadMode
                ? 'Showing ' + plural(data.threads.size, 'conversation') + (data.total !== null ? ' of ' + data.total.toLocaleString() : '')
                : plural(data.offset, 'message') + (data.total !== null && data.total > data.offset ? ' of ' + data.total.toLocaleString() : '') + ' in ' + plural(data.threads.size, 'conversation')}</span>
              <span className="spacer" />
              {hasMore && <Button size="sm" pending={data.loading} onClick={() => load(data.offset)}>Load more</Button>}
            </div>
          </div>
        )}
    </div>
  );
}

/* ---------- People ---------- */
const PEOPLE_SORTS = [['name', 'Name'], ['investor', 'Investor'], ['touch', 'Last touch']];
const PEOPLE_SHOWN = 200;

function sortPeople(list, key, dir) {
  const by = {
    name: p => String(p.name || p.email || '').toLowerCase(),
    investor: p => String(p.investor_name || '').toLowerCase(),
    touch: p => (p.last_touch && p.last_touch.at) || '',
  }[key];
  const out = [...list].sort((a, b) => {
    const x = by(a), y = by(b);
    if (key === 'touch' && (!x || !y)) return (!x) - (!y);  // never touched: last either way
    return (x < y ? -1 : x > y ? 1 : 0) * dir || String(a.name || '').localeCompare(String(b.name || ''));
  });
  return out;
}

function PeopleSortHead({ id, label, sort, onSort, className }) {
  const on = sort.key === id;
  return (
    <th className={className} aria-sort={on ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className={cx('pe-sort', on && 'is-on')} onClick={() => onSort(id)}>
        {label}<Icon name={on ? (sort.dir > 0 ? 'arrow-up' : 'arrow-down') : 'arrow-up-down'} />
      </button>
    </th>
  );
}

function PeoplePage() {
  usePageTitle('People');
  const [state, reload] = useAsync(() => api('/api/email/people').then(r => r.data || []), []);
  const [text, setText] = useState('');
  const [sort, setSort] = useState({ key: 'touch', dir: -1 });
  const [limit, setLimit] = useState(PEOPLE_SHOWN);
  const all = state.data || [];
  const needle = text.trim().toLowerCase();
  const shown = useMemo(() => {
    const hit = needle ? all.filter(p => [p.name, p.email, p.title, p.investor_name].some(v => String(v || '').toLowerCase().includes(needle))) : all;
    return sortPeople(hit, sort.key, sort.dir);
  }, [all, needle, sort]);
  useEffect(() => { setLimit(PEOPLE_SHOWN); }, [needle, sort]);
  const onSort = key => setSort(s => (s.key === key ? { key, dir: -s.dir } : { key, dir: key === 'touch' ? -1 : 1 }));
  const touched = all.filter(p => p.last_touch).length;
  return (
    <div className="page pe-page">
      <div className="page-head">
        <div>
          <h1>People</h1>
          <p>Everyone at your investors, from the grid’s Contacts, with the last time the team and they emailed.</p>
        </div>
        <div className="actions"><Button icon="mail" onClick={() => navigate('#/communications')}>Communications</Button></div>
      </div>
      <div className="toolbar pe-toolbar">
        <div className="search pe-search">
          <Icon name="search" />
          <input className="input" type="search" value={text} onChange={e => setText(e.target.value)} placeholder="Search name, email, title, investor…" aria-label="Search people" />
        </div>
        <span className="summary">{state.data ? (needle ? shown.length.toLocaleString() + ' of ' + plural(all.length, 'person', 'people') : plural(all.length, 'person', 'people') + ' · ' + touched.toLocaleString() + ' in touch by mail') : ''}</span>
        <span className="spacer" />
        <label className="pe-sort-pick">
          <span className="muted small">Sort</span>
          <select className="select select-sm" value={sort.key + ':' + sort.dir} onChange={e => { const [key, dir] = e.target.value.split(':'); setSort({ key, dir: +dir }); }} aria-label="Sort people by">
            <option value="touch:-1">Last touch, newest</option>
            <option value="touch:1">Last touch, oldest</option>
            <option value="name:1">Name, A–Z</option>
            <option value="investor:1">Investor, A–Z</option>
          </select>
        </label>
      </div>
      <LoadError error={state.error} onRetry={reload} />
      <div className="table-card">
        <div className="table-scroll">
          <table className="table pe-table">
            <thead>
              <tr>
                <PeopleSortHead id="name" label="Name" sort={sort} onSort={onSort} className="pe-c-name" />
                <th className="pe-c-title">Title</th>
                <th className="pe-c-email">Email</th>
                <PeopleSortHead id="investor" label="Investor" sort={sort} onSort={onSort} className="pe-c-inv" />
                <PeopleSortHead id="touch" label="Last touch" sort={sort} onSort={onSort} className="pe-c-touch" />
              </tr>
            </thead>
            <tbody>
              {!state.data ? <SkeletonRows cols={5} rows={6} />
                : !all.length ? <TableEmpty cols={5} icon="users" title="No people yet">People come from the Contacts column of the <a href="#/grid">grid</a>: add someone to an investor and they appear here.</TableEmpty>
                : !shown.length ? <TableEmpty cols={5} icon="search" title={'Nobody matches “' + text.trim() + '”'}>Search looks at names, emails, titles and investors.</TableEmpty>
                : shown.slice(0, limit).map((p, i) => (
                  <tr key={(p.id || p.email || i) + ':' + p.investor_id} className="pe-row">
                    <td className="pe-c-name"><div className="who"><Avatar name={p.name || p.email} size="sm" /><span className="pe-name">{p.name || p.email || 'Unnamed'}</span></div></td>
                    <td className="pe-c-title">{p.title ? <span className="pe-title">{p.title}</span> : <span className="faint">—</span>}</td>
                    <td className="pe-c-email">{p.email ? <a className="pe-email" href={'mailto:' + p.email}>{p.email}</a> : <span className="faint">No email</span>}</td>
                    <td className="pe-c-inv"><a className="pe-inv" href={'#/grid?investor=' + encodeURIComponent(p.investor_id)}>{p.investor_name || 'Untitled investor'}</a></td>
                    <td className="pe-c-touch">{p.last_touch
                      ? <span className="pe-touch"><MailDirection direction={p.last_touch.direction} /><Time value={p.last_touch.at} /></span>
                      : <span className="faint">{p.email ? 'No mail yet' : '—'}</span>}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
        {state.data && shown.length > 0 && (
          <div className="table-foot">
            <span>{shown.length > limit ? 'Showing ' + limit.toLocaleString() + ' of ' + shown.length.toLocaleString() : plural(shown.length, 'person', 'people')}</span>
            <span className="spacer" />
            {shown.length > limit && <Button size="sm" onClick={() => setLimit(l => l + PEOPLE_SHOWN)}>Show more</Button>}
          </div>
        )}
      </div>
    </div>
  );
}

registerScreen({ path: '/communications', label: 'Communications', short: 'Mail', icon: 'mail', title: 'Communications', order: 20, Page: CommunicationsPage });
registerScreen({ path: '/people', label: 'People', icon: 'users', title: 'People', order: 25, Page: PeoplePage, phone: false });  // on a phone: from Communications
