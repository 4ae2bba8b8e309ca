/* ========================================================================
   UI primitives
   ======================================================================== */
function Spinner({ large }) { return <span className={cx('spinner', large && 'lg')} aria-hidden="true" />; }

function Button({ variant = 'secondary', size, pending, icon, children, className, type = 'button', disabled, block, ...rest }) {
  return (
    <button type={type} className={cx('btn', 'btn-' + variant, size && 'btn-' + size, block && 'btn-block', pending && 'is-pending', className)}
      disabled={disabled || pending} aria-busy={pending ? 'true' : undefined} {...rest}>
      {pending ? <Spinner /> : icon ? <Icon name={icon} /> : null}
      {children !== undefined && children !== null && <span>{children}</span>}
    </button>
  );
}

function Field({ label, hint, error, children, id, optional }) {
  return (
    <div className={cx('field', error && 'has-error')}>
      {label && <label className="field-label" htmlFor={id}>{label}{optional && <span className="opt">Optional</span>}</label>}
      {children}
      {error ? <div className="field-error" id={id ? id + '-err' : undefined}><Icon name="alert-circle" />{error}</div>
        : hint ? <div className="field-hint">{hint}</div> : null}
    </div>
  );
}

function TextField({ label, hint, error, optional, value, onChange, type = 'text', autoFocus, inputRef, ...rest }) {
  const id = useId();
  return (
    <Field label={label} hint={hint} error={error} id={id} optional={optional}>
      <input id={id} ref={inputRef} className="input" type={type} value={value} onChange={e => onChange(e.target.value)}
        autoFocus={autoFocus} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? id + '-err' : undefined} {...rest} />
    </Field>
  );
}

function PasswordField({ label, hint, error, value, onChange, autoFocus, autoComplete = 'current-password', name = 'password', extra, inputRef, ...rest }) {
  const id = useId();
  const [show, setShow] = useState(false);
  return (
    <Field label={label} hint={hint} error={error} id={id}>
      <div className="input-group">
        <div className="input-wrap spacer">
          <input id={id} ref={inputRef} className="input" type={show ? 'text' : 'password'} name={name} value={value} onChange={e => onChange(e.target.value)}
            autoFocus={autoFocus} autoComplete={autoComplete} spellCheck="false" aria-invalid={error ? 'true' : undefined} {...rest} />
          <button type="button" className="icon-btn reveal" onClick={() => setShow(s => !s)} aria-label={show ? 'Hide password' : 'Show password'} title={show ? 'Hide password' : 'Show password'}>
            <Icon name={show ? 'eye-off' : 'eye'} />
          </button>
        </div>
        {extra && extra(setShow)}
      </div>
    </Field>
  );
}

function SelectField({ label, hint, error, value, onChange, options, ...rest }) {
  const id = useId();
  return (
    <Field label={label} hint={hint} error={error} id={id}>
      <select id={id} className="select" value={value} onChange={e => onChange(e.target.value)} {...rest}>
        {options.map(o => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>
    </Field>
  );
}

function FormError({ children }) {
  if (!children) return null;
  return <div className="form-error" role="alert"><Icon name="alert-circle" /><div>{children}</div></div>;
}

function Pill({ tone = 'gray', dot, children, title }) {
  return <span className={'pill pill-' + tone} title={title}>{dot && <span className="dot" />}{children}</span>;
}

function Avatar({ name, size }) {
  return <span className={cx('avatar', size, 'av-' + (hashStr(String(name || '')) % 8))} aria-hidden="true">{initials(name)}</span>;
}

function RolePill({ role }) {
  return role === 'admin' ? <Pill tone="indigo">Admin</Pill> : <Pill tone="gray">Member</Pill>;
}

function Callout({ tone = 'info', icon, title, children, onDismiss }) {
  const defaultIcon = { success: 'check-circle', warn: 'alert-triangle', danger: 'alert-circle', info: 'info' }[tone];
  return (
    <div className={'callout callout-' + tone} role={tone === 'danger' ? 'alert' : 'status'}>
      <Icon name={icon || defaultIcon} />
      <div className="co-body">
        {title && <div className="co-title">{title}</div>}
        {children}
      </div>
      {onDismiss && <button type="button" className="icon-btn" onClick={onDismiss} aria-label="Dismiss"><Icon name="x" /></button>}
    </div>
  );
}

async function copyText(text, inputEl) {
  try {
    if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); return true; }
  } catch (e) { /* fall through to the selection-based copy */ }
  try {
    let el = inputEl;
    let temp = null;
    if (!el) {
      temp = document.createElement('textarea');
      temp.value = text;
      temp.setAttribute('readonly', '');
      temp.className = 'sr-only';
      document.body.appendChild(temp);
      el = temp;
    }
    el.focus();
    el.select();
    const ok = document.execCommand('copy');
    if (temp) document.body.removeChild(temp);
    return ok;
  } catch (e) { return false; }
}

function CopyField({ value, label = 'Copy' }) {
  const toast = useToast();
  const [copied, setCopied] = useState(false);
  const ref = useRef(null);
  const copy = async () => {
    const ok = await copyText(value, ref.current);
    if (ok) { setCopied(true); setTimeout(() => setCopied(false), 1800); }
    else { ref.current && ref.current.select(); toast('Press Ctrl+C (⌘C) to copy the selected text.', 'info'); }
  };
  return (
    <div className="copy-field">
      <input ref={ref} className="input" readOnly value={value} onFocus={e => e.target.select()} aria-label="Value to copy" spellCheck="false" />
      <Button variant={copied ? 'success' : 'secondary'} icon={copied ? 'check' : 'copy'} onClick={copy}>{copied ? 'Copied' : label}</Button>
    </div>
  );
}

/* ---------- toasts ---------- */
const ToastContext = createContext(() => {});
function useToast() { return useContext(ToastContext); }

function ToastProvider({ children }) {
  const [toasts, setToasts] = useState([]);
  const remove = useCallback(id => setToasts(t => t.filter(x => x.id !== id)), []);
  // toast(message, kind, {action: {label, run}}): an action (Undo) keeps the toast up longer.
  const push = useCallback((msg, kind = 'success', opts) => {
    const id = Date.now() + Math.random();
    const action = opts && opts.action;
    setToasts(t => [...t.slice(-3), { id, msg, kind, action }]);
    setTimeout(() => remove(id), kind === 'error' ? 7000 : action ? 8000 : 4000);
  }, [remove]);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div className="toasts" aria-live="polite" aria-atomic="false">
        {toasts.map(t => (
          <div key={t.id} className={'toast ' + t.kind} role={t.kind === 'error' ? 'alert' : 'status'}>
            <Icon name={t.kind === 'error' ? 'alert-circle' : t.kind === 'info' ? 'info' : 'check-circle'} />
            <span className="t-msg">{t.msg}</span>
            {t.action && <button type="button" className="toast-action" onClick={() => { remove(t.id); t.action.run(); }}>{t.action.label}</button>}
            <button type="button" className="icon-btn" onClick={() => remove(t.id)} aria-label="Dismiss"><Icon name="x" /></button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

/* ---------- modal & confirm ---------- */
function Modal({ title, description, onClose, children, wide, size }) {
  const ref = useRef(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const prev = document.activeElement;
    const onKey = e => {
      if (e.key === 'Escape') { e.stopPropagation(); closeRef.current(); }
      if (e.key === 'Tab' && ref.current) {
        const f = ref.current.querySelectorAll('button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, a[href]');
        if (!f.length) return;
        const first = f[0], last = f[f.length - 1];
        if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
        else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
      }
    };
    document.addEventListener('keydown', onKey);
    const t = setTimeout(() => {
      if (!ref.current || ref.current.contains(document.activeElement)) return;
      const el = ref.current.querySelector('[data-autofocus], input:not([readonly]), select, .modal-foot .btn-primary, .modal-foot .btn-danger');
      if (el) el.focus();
    }, 0);
    return () => { document.removeEventListener('keydown', onKey); clearTimeout(t); if (prev && prev.focus) prev.focus(); };
  }, []);
  return ReactDOM.createPortal(
    <div className="modal-backdrop" onMouseDown={e => { if (e.target === e.currentTarget) onClose(); }}>
      <div className={cx('modal', wide && 'wide', size)} role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref}>
        <div className="modal-head">
          <div>
            <h2 id={titleId}>{title}</h2>
            {description && <p>{description}</p>}
          </div>
          <button type="button" className="icon-btn" onClick={onClose} aria-label="Close"><Icon name="x" /></button>
        </div>
        {children}
      </div>
    </div>,
    document.body
  );
}

/* The foot of a modal form: an optional hint, Cancel, and the submit button. */
function FormFoot({ onCancel, pending, label, icon, variant = 'primary', hint, disabled, className, ...rest }) {
  return (
    <div className={'modal-foot' + (className ? ' ' + className : '')}>
      {hint && <span className="hint">{hint}</span>}
      <Button onClick={onCancel}>Cancel</Button>
      <Button type="submit" variant={variant} pending={pending} icon={icon} disabled={disabled} {...rest}>{label}</Button>
    </div>
  );
}

function ConfirmDialog({ title, body, confirmLabel = 'Confirm', danger = true, onConfirm, onClose }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState('');
  const go = async e => {
    e.preventDefault();
    setPending(true); setError('');
    try { await onConfirm(); onClose(); }
    catch (err) { setError(err.message || String(err)); setPending(false); }
  };
  return (
    <Modal title={title} onClose={onClose}>
      <form onSubmit={go}>
        <div className="modal-body stack-16">
          <div className="muted">{body}</div>
          <FormError>{error}</FormError>
        </div>
        <FormFoot onCancel={onClose} variant={danger ? 'danger' : 'primary'} pending={pending} label={confirmLabel}
          data-autofocus="true" />
      </form>
    </Modal>
  );
}

/* ---------- dropdown menu ---------- */
function Menu({ button, children, align = 'right', label }) {
  const [open, setOpen] = useState(false);
  const wrap = useRef(null);
  const menu = useRef(null);
  useEffect(() => {
    if (!open) return undefined;
    const onDown = e => { if (wrap.current && !wrap.current.contains(e.target)) setOpen(false); };
    const onKey = e => {
      if (e.key === 'Escape') { setOpen(false); const b = wrap.current && wrap.current.querySelector('button'); b && b.focus(); }
      if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && menu.current) {
        e.preventDefault();
        const items = Array.from(menu.current.querySelectorAll('.menu-item:not(:disabled)'));
        const i = items.indexOf(document.activeElement);
        const next = e.key === 'ArrowDown' ? items[(i + 1) % items.length] : items[(i - 1 + items.length) % items.length];
        next && next.focus();
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    const t = setTimeout(() => { const f = menu.current && menu.current.querySelector('.menu-item'); f && f.focus(); }, 0);
    return () => { document.removeEventListener('mousedown', onDown); document.removeEventListener('keydown', onKey); clearTimeout(t); };
  }, [open]);
  const close = () => setOpen(false);
  return (
    <div className="menu-wrap" ref={wrap}>
      {button({ open, toggle: () => setOpen(o => !o), props: { 'aria-haspopup': 'menu', 'aria-expanded': open ? 'true' : 'false', 'aria-label': label } })}
      {open && <div className={'menu ' + align} role="menu" ref={menu}>{typeof children === 'function' ? children(close) : children}</div>}
    </div>
  );
}

function MenuItem({ icon, children, onClick, danger, disabled }) {
  return (
    <button type="button" role="menuitem" className={cx('menu-item', danger && 'danger')} onClick={onClick} disabled={disabled}>
      {icon && <Icon name={icon} />}<span>{children}</span>
    </button>
  );
}

/* ---------- misc ---------- */
function StateIcon({ icon, tone }) { return <div className={cx('state-icon', tone)}><Icon name={icon} /></div>; }

function CenterState({ icon, tone, title, children, action }) {
  return (
    <div className="center-state">
      <StateIcon icon={icon} tone={tone} />
      <h2>{title}</h2>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

function SkeletonRows({ cols, rows = 4 }) {
  const widths = ['62%', '44%', '78%', '35%', '55%', '70%'];
  return Array.from({ length: rows }).map((_, r) => (
    <tr key={r} className="skeleton-row" aria-hidden="true">
      {Array.from({ length: cols }).map((__, c) => <td key={c}><span className="sk" style={{ width: widths[(r + c) % widths.length] }} /></td>)}
    </tr>
  ));
}

function TableEmpty({ cols, icon, title, children }) {
  return (
    <tr><td colSpan={cols}>
      <div className="table-empty"><StateIcon icon={icon} /><div className="te-title">{title}</div>{children && <div className="te-text">{children}</div>}</div>
    </td></tr>
  );
}

// Form state shared by every form: values, per-field errors (cleared as the field changes),
// a form-level error and the pending flag of the submit button.
function useForm(initial) {
  const [f, setF] = useState(initial);
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState('');
  const [pending, setPending] = useState(false);
  const set = k => v => { setF(p => ({ ...p, [k]: v })); setErrors(e => (e[k] ? { ...e, [k]: undefined } : e)); };
  return { f, setF, set, errors, setErrors, formError, setFormError, pending, setPending };
}

function usePageTitle(title) {
  useEffect(() => { document.title = title ? title + ' · Venture CRM' : 'Venture CRM'; }, [title]);
}

// A list read a page at a time (`limit`/`offset`): the items so far, the total, and load(offset),
// where load(0) starts over and load(items.length) brings the next page.
// A paged list: [state, load(offset), setState]; `state.reply` is the last answer's envelope (for
// fields beside the page, such as a long job's progress); setState lets a screen drop an item it
// acted on without reading every page again.
function usePagedList(path, pageSize) {
  const [state, setState] = useState({ items: [], total: null, loading: true, error: null, reply: null });
  const load = useCallback(async (offset) => {
    setState(s => ({ ...s, loading: true, error: null }));
    try {
      const r = await api(path + (path.includes('?') ? '&' : '?') + 'limit=' + pageSize + '&offset=' + offset);
      setState(s => ({ items: offset ? [...s.items, ...(r.data || [])] : (r.data || []), total: r.total || 0,
                       loading: false, error: null, reply: r }));
    } catch (err) { setState(s => ({ ...s, loading: false, error: err })); }
  }, [path, pageSize]);
  useEffect(() => { load(0); }, [load]);
  return [state, load, setState];
}

// The foot of a paged table: how many of how many, and Load more (with `error`, why the next page failed).
function PagedFoot({ state, load, error }) {
  const { items, total, loading } = state;
  if (!items.length) return null;
  return (
    <div className="table-foot">
      <span>{'Showing ' + items.length.toLocaleString() + ' of ' + (total || 0).toLocaleString()}</span>
      <span className="spacer" />
      {error}
      {total > items.length && <Button size="sm" pending={loading} onClick={() => load(items.length)}>Load more</Button>}
    </div>
  );
}

function useAsync(fn, deps) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const seq = useRef(0);
  const run = useCallback(async (quiet) => {
    const my = ++seq.current;
    if (!quiet) setState(s => ({ ...s, loading: true, error: null }));
    try {
      const data = await fn();
      if (my === seq.current) setState({ loading: false, data, error: null });
    } catch (e) {
      if (my === seq.current) setState(s => ({ loading: false, data: s.data, error: e }));
    }
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => { run(); }, [run]);
  return [state, run, setState];
}
