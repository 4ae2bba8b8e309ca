const CURRENCIES = [['USD', '$'], ['EUR', '€'], ['GBP', '£'], ['CHF', 'CHF'], ['JPY', '¥'], ['CAD', 'C$'], ['AUD', 'A$'], ['SGD', 'S$']];

function ChoicesEditor({ choices, onChange, colors }) {
  const [swatchFor, setSwatchFor] = useState(null);
  const palette = colors && colors.length ? colors : ['blue', 'cyan', 'teal', 'green', 'yellow', 'orange', 'red', 'pink', 'purple', 'gray'];
  const lastRef = useRef(null);
  const [focusLast, setFocusLast] = useState(false);
  useEffect(() => { if (focusLast && lastRef.current) { lastRef.current.focus(); setFocusLast(false); } }, [focusLast, choices.length]);
  const add = () => { onChange([...choices, { name: '', color: palette[choices.length % palette.length], _k: 'c' + (++personSeq) }]); setFocusLast(true); };
  return (
    <div className="choices">
      {choices.map((c, i) => (
        <div className="choice-row" key={c._k || c.name || i}>
          <button type="button" className={cx('swatch', 'cc-' + (c.color || 'gray'))} aria-label={'Colour of ' + (c.name || 'option ' + (i + 1))} onClick={e => setSwatchFor({ i, el: e.currentTarget })}><span className="cdot" /></button>
          <input ref={i === choices.length - 1 ? lastRef : undefined} className="input" value={c.name} placeholder={'Option ' + (i + 1)} aria-label={'Option ' + (i + 1)}
            onChange={e => onChange(choices.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))}
            onKeyDown={e => { if (e.key === 'Enter') { e.preventDefault(); add(); } }} />
          <button type="button" className="icon-btn" aria-label={'Move ' + (c.name || 'option') + ' up'} disabled={i === 0} onClick={() => { const n = choices.slice(); [n[i - 1], n[i]] = [n[i], n[i - 1]]; onChange(n); }}><Icon name="arrow-up" /></button>
          <button type="button" className="icon-btn" aria-label={'Remove ' + (c.name || 'option')} onClick={() => onChange(choices.filter((_, j) => j !== i))}><Icon name="x" /></button>
        </div>
      ))}
      <div><button type="button" className="fb-add" onClick={add}><Icon name="plus" />Add option</button></div>
      {swatchFor && (
        <Popover anchor={swatchFor.el} onClose={() => setSwatchFor(null)} label="Choose a colour">
          <div className="swatches">
            {palette.map(color => (
              <button type="button" key={color} className={'cc-' + color} aria-label={color} aria-pressed={choices[swatchFor.i] && choices[swatchFor.i].color === color ? 'true' : 'false'}
                onClick={() => { onChange(choices.map((x, j) => (j === swatchFor.i ? { ...x, color } : x))); setSwatchFor(null); }}><span className="cdot" /></button>
            ))}
          </div>
        </Popover>
      )}
    </div>
  );
}

// Is position i of a formula inside a string literal?
function inFormulaString(src, i) {
  let q = null;
  for (let k = 0; k < i; k++) {
    const ch = src[k];
    if (q) { if (ch === '\\') k++; else if (ch === q) q = null; }
    else if (ch === '"' || ch === "'") q = ch;
    else if (ch === '{') { const e = src.indexOf('}', k); if (e < 0 || e >= i) return false; k = e; }
  }
  return !!q;
}

// The call the caret is in: {name, arg} (arg: 0-based index of the argument being typed).
function enclosingCall(src, caret) {
  let depth = 0, arg = 0;
  for (let k = caret - 1; k >= 0; k--) {
    const ch = src[k];
    if (ch === ')') depth++;
    else if (ch === '(') {
      if (depth === 0) { const m = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(src.slice(0, k)); return m ? { name: m[1].toUpperCase(), arg } : null; }
      depth--;
    } else if (ch === ',' && depth === 0 && !inFormulaString(src, k)) arg++;
  }
  return null;
}

function splitSignature(sig) {
  const open = sig.indexOf('('), close = sig.lastIndexOf(')');
  if (open < 0 || close < open) return { name: sig, args: [] };
  const inner = sig.slice(open + 1, close);
  const args = [];
  let depth = 0, cur = '';
  for (const ch of inner) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) { args.push(cur.trim()); cur = ''; } else cur += ch;
  }
  if (cur.trim()) args.push(cur.trim());
  return { name: sig.slice(0, open), args };
}

function fmtPreview(v, type) {
  if (v === null || v === undefined) return '(empty)';
  if (type === 'error' || isErrorValue(v)) return (v.error || '#ERROR!') + (v.message ? ' · ' + v.message : '');
  if (type === 'number' && typeof v === 'number') return fmtNumberFor(null, v);
  if (type === 'boolean' || typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (type === 'date' && typeof v === 'string') return /T00:00:00(\.000)?Z$/.test(v) ? fmtDay(v.slice(0, 10)) : fmtDateTime(v);
  if (Array.isArray(v)) return v.map(x => (x && typeof x === 'object' ? x.name || x.email : String(x))).join(', ');
  return '“' + String(v) + '”';
}

function FormulaEditor({ value, onChange, columns, functions, selfId, row, rowName, serverError, inputId }) {
  const ta = useRef(null);
  const pendingCaret = useRef(null);
  const [caret, setCaret] = useState(value.length);
  const [hl, setHl] = useState(0);
  const [closed, setClosed] = useState(false);
  const [preview, setPreview] = useState({ state: 'idle' });
  const fields = useMemo(() => columns.filter(c => c.id !== selfId && !c.archived_at), [columns, selfId]);
  const names = useMemo(() => new Set(fields.map(c => c.name.toLowerCase())), [fields]);
  const before = value.slice(0, caret);
  let mode = null, query = '', start = caret;
  if (!inFormulaString(value, caret)) {
    const fm = /\{([^{}]*)$/.exec(before);
    if (fm) { mode = 'field'; query = fm[1]; start = caret - fm[0].length; }
    else {
      const wm = /(^|[^A-Za-z0-9_.])([A-Za-z_][A-Za-z0-9_]*)$/.exec(before);
      if (wm) { mode = 'fn'; query = wm[2]; start = caret - wm[2].length; }
    }
  }
  let suggestions = [];
  if (mode === 'field') {
    const q = query.toLowerCase();
    suggestions = fields.filter(c => c.name.toLowerCase().includes(q)).sort((a, b) => (a.name.toLowerCase().startsWith(q) ? 0 : 1) - (b.name.toLowerCase().startsWith(q) ? 0 : 1))
      .slice(0, 8).map(c => ({ kind: 'field', label: c.name, col: c }));
  } else if (mode === 'fn' && query.length >= 1) {
    const q = query.toUpperCase();
    suggestions = (functions || []).filter(f => f.name.startsWith(q) && !(f.name === q && value[caret] === '(')).slice(0, 8).map(f => ({ kind: 'fn', label: f.name, fn: f }));
  }
  const open = !closed && suggestions.length > 0;
  const hover = useMovedHover(setHl);
  useEffect(() => { setHl(0); setClosed(false); }, [mode, query]);

  // Unknown {Field} references, found before the server is asked.
  const unknownRef = useMemo(() => {
    const re = /\{([^}]*)\}/g;
    let m;
    while ((m = re.exec(value))) { if (!inFormulaString(value, m.index) && !names.has(m[1].trim().toLowerCase())) return { message: 'Unknown field {' + m[1] + '}', position: m.index }; }
    return null;
  }, [value, names]);

  useEffect(() => {
    if (!value.trim()) { setPreview({ state: 'idle' }); return undefined; }
    let live = true;
    setPreview(p => ({ ...p, state: 'loading' }));
    const t = setTimeout(() => {
      // preview=1: a half-typed formula is an answer (type "error"), not a failed request.
      api('/api/formula/evaluate?preview=1', { method: 'POST', body: row ? { formula: value, row_id: row.id } : { formula: value, record: {} } })
        .then(r => { if (!live) return; setPreview(r.data.error ? { state: 'error', message: r.data.error, position: r.data.position } : { state: 'ok', value: r.data.value, type: r.data.type }); })
        .catch(err => { if (live) setPreview({ state: 'error', message: err.message, position: err.body && typeof err.body.position === 'number' ? err.body.position : null }); });
    }, 220);
    return () => { live = false; clearTimeout(t); };
  }, [value, row && row.id]); // eslint-disable-line react-hooks/exhaustive-deps

  const error = serverError || (preview.state === 'error' ? preview : null) || unknownRef;
  const pos = error && typeof error.position === 'number' ? Math.min(error.position, value.length) : null;

  const accept = s => {
    const rest = value.slice(caret);
    let insert, after = rest;
    if (s.kind === 'field') { insert = '{' + s.label + '}'; if (after.startsWith('}')) after = after.slice(1); }
    else { insert = s.label + '('; if (after.startsWith('(')) after = after.slice(1); }
    const next = value.slice(0, start) + insert + after;
    const c = start + insert.length;
    pendingCaret.current = c;
    setCaret(c);
    onChange(next);
    setClosed(true);
  };
  useLayoutEffect(() => {
    const c = pendingCaret.current;
    if (c === null || !ta.current) return;
    pendingCaret.current = null;
    ta.current.focus();
    ta.current.setSelectionRange(c, c);
  }, [value]);
  const onKeyDown = e => {
    if (open) {
      if (e.key === 'ArrowDown') { e.preventDefault(); setHl(h => (h + 1) % suggestions.length); return; }
      if (e.key === 'ArrowUp') { e.preventDefault(); setHl(h => (h - 1 + suggestions.length) % suggestions.length); return; }
      if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); accept(suggestions[Math.min(hl, suggestions.length - 1)]); return; }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); setClosed(true); return; }
    }
  };
  const sync = () => { if (ta.current) setCaret(ta.current.selectionStart); };
  const call = enclosingCall(value, caret);
  const fnInfo = call && (functions || []).find(f => f.name === call.name);
  const hlFn = open && suggestions[hl] && suggestions[hl].kind === 'fn' ? suggestions[hl].fn : null;
  const sig = fnInfo ? splitSignature(fnInfo.signature) : null;
  return (
    <div className="fx">
      <div className={cx('fx-input', error && 'is-error')}>
        <div className="fx-mirror" aria-hidden="true">
          {pos === null ? value : <>{value.slice(0, pos)}{pos < value.length ? <mark>{value[pos] === '\n' ? ' ' : value[pos]}</mark> : <mark className="is-end" />}{value.slice(pos + 1)}</>}{'\n'}
        </div>
        <textarea id={inputId} ref={ta} className="fx-ta" value={value} spellCheck="false" autoComplete="off" aria-label="Formula" placeholder="e.g. {Fund I} + {Fund II}"
          aria-invalid={error ? 'true' : undefined} aria-autocomplete="list" aria-expanded={open ? 'true' : 'false'}
          onChange={e => { onChange(e.target.value); setCaret(e.target.selectionStart); setHl(0); setClosed(false); }} onKeyDown={onKeyDown} onKeyUp={sync} onClick={sync} onSelect={sync} />
      </div>
      {open && (
        <ul className="fx-suggest" role="listbox" aria-label={mode === 'field' ? 'Fields' : 'Functions'}>
          {suggestions.map((s, i) => (
            <li key={s.kind + s.label} role="option" aria-selected={i === hl ? 'true' : 'false'} className={cx(i === hl && 'is-hl')} onMouseDown={e => { e.preventDefault(); accept(s); }} onMouseMove={hover(i)}>
              {s.kind === 'field' ? <><Icon name={typeMeta(s.col).icon} /><code>{'{' + s.label + '}'}</code><span className="fs-desc">{typeMeta(s.col).label}</span></>
                : <><Icon name="function" /><code>{s.fn.signature}</code><span className="fs-desc">{s.fn.description}</span></>}
            </li>
          ))}
        </ul>
      )}
      {(hlFn || sig) && (
        <div className="fx-hint" aria-live="polite">
          {hlFn ? <><code>{hlFn.signature}</code><div className="fh-desc">{hlFn.description}{hlFn.example ? <> · <code>{hlFn.example}</code></> : null}</div></>
            : <><code>{sig.name}(
              {sig.args.map((a, i) => <React.Fragment key={i}>{i > 0 && ', '}{i === call.arg || (i === sig.args.length - 1 && call.arg > i && /\.\.\./.test(a)) ? <b>{a}</b> : a}</React.Fragment>)})</code>
              <div className="fh-desc">{fnInfo.description}</div></>}
        </div>
      )}
      <div className={cx('fx-preview', error && 'is-error')} aria-live="polite">
        <span className="fp-label">{error ? 'Error' : 'Preview'}</span>
        {error ? <span className="fp-val" title={error.message}>{error.message}</span> : (
          <>
            <span className="fp-row">{row ? 'for ' + (rowName || 'the selected investor') : 'with empty fields'}</span>
            <span className="fp-val">{preview.state === 'ok' ? fmtPreview(preview.value, preview.type) : preview.state === 'loading' ? '…' : '—'}</span>
          </>
        )}
      </div>
      {!value.trim() && (
        <div className="fx-refs" aria-label="Insert a field">
          {fields.slice(0, 10).map(c => <button type="button" key={c.id} onClick={() => { const next = value + '{' + c.name + '}'; pendingCaret.current = next.length; setCaret(next.length); onChange(next); }}><Icon name={typeMeta(c).icon} />{c.name}</button>)}
        </div>
      )}
    </div>
  );
}

function ColumnModal({ column, columns, meta, row, rowName, onClose, onSaved }) {
  const isNew = !column;
  const [name, setName] = useState(column ? column.name : '');
  const [type, setType] = useState(column ? column.type : 'text');
  const [opts, setOpts] = useState(() => {
    const o = column ? JSON.parse(JSON.stringify(column.options || {})) : {};
    if (o.choices) o.choices = o.choices.map(c => ({ ...c, _k: 'c' + (++personSeq) }));
    return o;
  });
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState('');
  const [fxError, setFxError] = useState(null);
  const [pending, setPending] = useState(false);
  const nameId = useId(), fxId = useId();
  const hasContacts = columns.some(c => c.type === 'contacts' && !c.archived_at);
  // A pipeline column follows one fund; each fund has at most one.
  const followed = new Set(columns.filter(c => c.type === 'pipeline' && !c.archived_at).map(c => c.options && c.options.fund_id));
  const openFunds = columns.filter(c => c.type === 'fund' && !c.archived_at && !followed.has(c.id));
  const types = (meta.column_types || Object.keys(TYPE_META)).filter(t => TYPE_META[t]);
  const set = (k, v) => setOpts(o => ({ ...o, [k]: v }));
  const pickType = t => {
    setType(t); setErrors({}); setFxError(null);
    if ((t === 'single_select' || t === 'multi_select') && !opts.choices) setOpts(o => ({ ...o, choices: [] }));
    if (t === 'fund' && !opts.vintage) setOpts(o => ({ ...o, vintage: new Date().getFullYear(), currency: o.currency || 'USD' }));
    if (t === 'pipeline' && !opts.fund_id && openFunds.length) setOpts(o => ({ ...o, fund_id: openFunds[0].id }));
  };
  const clean = () => {
    const o = {};
    if (type === 'single_select' || type === 'multi_select') {
      o.choices = (opts.choices || []).filter(c => c.name.trim()).map(c => ({ name: c.name.trim(), color: c.color }));
      o.allow_new = opts.allow_new !== false;
    }
    if (NUMERIC_TYPES.includes(type) && opts.precision !== undefined && opts.precision !== '' && opts.precision !== null) o.precision = Number(opts.precision);
    if (type === 'currency') o.symbol = opts.symbol || '$';
    if (type === 'date') o.include_time = !!opts.include_time;
    if (type === 'fund') {
      if (opts.vintage) o.vintage = Number(opts.vintage);
      const t = typeof opts.target === 'number' ? opts.target : parseNumberInput(opts.target, false);
      if (typeof t === 'number') o.target = t;
      o.currency = opts.currency || 'USD';
      o.symbol = (CURRENCIES.find(c => c[0] === o.currency) || [null, '$'])[1];
    }
    if (type === 'formula') o.formula = opts.formula || '';
    if (type === 'pipeline') o.fund_id = opts.fund_id || (column && column.options.fund_id);
    return o;
  };
  const submit = async e => {
    e.preventDefault();
    const errs = {};
    const pipelineFund = type === 'pipeline' && columns.find(c => c.id === opts.fund_id);
    const nm = name.trim() || (type === 'fund' ? '' : pipelineFund ? pipelineFund.name + ' pipeline' : TYPE_META[type].label);
    if (!nm) errs.name = 'Name the fund, e.g. “Fund IV”.';
    else if (columns.some(c => c.id !== (column && column.id) && !c.archived_at && c.name.toLowerCase() === nm.toLowerCase())) errs.name = 'Another field is already called “' + nm + '”.';
    if (type === 'formula' && !(opts.formula || '').trim()) errs.formula = 'Write a formula.';
    if (type === 'pipeline' && isNew && !opts.fund_id) errs.fund = 'Pick the fund whose pipeline this column shows.';
    if (type === 'fund' && opts.target !== undefined && opts.target !== '' && typeof opts.target !== 'number' && parseNumberInput(opts.target, false) === undefined) errs.target = 'Enter an amount, e.g. 50,000,000.';
    setErrors(errs); setFormError(''); setFxError(null);
    if (Object.keys(errs).length) return;
    setPending(true);
    try {
      const body = isNew ? { name: nm, type, options: clean() } : { name: nm, options: clean() };
      const r = isNew ? await api('/api/fundraising/columns', { method: 'POST', body }) : await api('/api/fundraising/columns/' + encodeURIComponent(column.id), { method: 'PATCH', body });
      onSaved(r.data, isNew);
    } catch (err) {
      const b = err.body || {};
      if (b.code && String(b.code).startsWith('formula_')) {
        let position = typeof b.position === 'number' ? b.position : null;
        if (position === null && b.unknown) { const i = (opts.formula || '').indexOf('{' + b.unknown); position = i >= 0 ? i : null; }
        setFxError({ message: err.message, position });
      } else if (b.field === 'name' || /name/i.test(b.field || '')) setErrors({ name: err.message });
      else setFormError(err.message);
      setPending(false);
    }
  };
  const precisionSelect = (label, auto) => (
    <SelectField label={label} value={opts.precision === undefined || opts.precision === null ? '' : String(opts.precision)} onChange={v => set('precision', v === '' ? undefined : Number(v))}
      options={[...(auto ? [{ value: '', label: 'Automatic' }] : []), ...[0, 1, 2, 3, 4].map(p => ({ value: String(p), label: p === 0 ? '1' : '1.' + '0'.repeat(p) }))]} />
  );
  return (
    <Modal title={isNew ? 'Add a field' : 'Edit field'} description={isNew ? 'A typed column: values are checked and formatted for you.' : typeMeta(column).label + (column.primary ? ' · the primary field' : '')}
      onClose={onClose} size={type === 'formula' ? 'lg' : undefined} wide={type !== 'formula'}>
      <form onSubmit={submit} noValidate>
        <div className="modal-body">
          <Field label="Name" id={nameId} error={errors.name}>
            <input id={nameId} className="input" value={name} onChange={e => { setName(e.target.value); setErrors(x => ({ ...x, name: undefined })); }} autoComplete="off" maxLength={120}
              placeholder={type === 'fund' ? 'e.g. Fund IV' : TYPE_META[type].label} data-autofocus="true" aria-invalid={errors.name ? 'true' : undefined} />
          </Field>
          <div className="field">
            <span className="field-label">Type</span>
            {isNew ? (
              <div className="type-grid" role="radiogroup" aria-label="Field type">
                {types.map(t => (
                  <button type="button" key={t} role="radio" aria-checked={type === t ? 'true' : 'false'} className="type-opt" title={TYPE_META[t].hint}
                    disabled={(t === 'contacts' && hasContacts) || (t === 'pipeline' && !openFunds.length)} onClick={() => pickType(t)}>
                    <Icon name={TYPE_META[t].icon} />{TYPE_META[t].label}
                  </button>
                ))}
              </div>
            ) : <span className="type-current"><Icon name={typeMeta(column).icon} />{typeMeta(column).label}</span>}
          </div>
          {(type === 'single_select' || type === 'multi_select') && (
            <div className="field">
              <span className="field-label">Options{column && column.field === 'list' && <span className="opt">Lists are fixed</span>}</span>
              {column && column.field === 'list' ? <div className="field-hint">The List field holds main, follow-up, graveyard and longshot; automations move investors between them.</div> : (
                <>
                  <ChoicesEditor choices={opts.choices || []} onChange={v => set('choices', v)} colors={meta.choice_colors} />
                  <label className="row small muted" style={{ marginTop: 8 }}>
                    <Switch checked={opts.allow_new !== false} onChange={v => set('allow_new', v)} label="Allow new options while typing" />Typing a new option in a cell adds it to this list
                  </label>
                </>
              )}
            </div>
          )}
          {type === 'currency' && (
            <div className="opt-grid field">
              <SelectField label="Symbol" value={opts.symbol || '$'} onChange={v => set('symbol', v)} options={['$', '€', '£', '¥', 'CHF', 'C$', 'A$'].map(s => ({ value: s, label: s }))} />
              {precisionSelect('Precision', false)}
            </div>
          )}
          {(type === 'number' || type === 'percent') && <div className="opt-grid field">{precisionSelect('Precision', true)}</div>}
          {type === 'date' && (
            <label className="row field">
              <Switch checked={!!opts.include_time} onChange={v => set('include_time', v)} label="Include a time" /><span>Include a time <span className="muted">(stored in UTC, shown in your time zone)</span></span>
            </label>
          )}
          {type === 'pipeline' && (isNew ? (
            <div className="field">
              <SelectField label="Fund" value={opts.fund_id || ''} onChange={v => set('fund_id', v)} error={errors.fund}
                hint="Each cell is that investor’s opportunity in the fund: its stage here, its amount and owner on the Pipeline board."
                options={openFunds.map(f => ({ value: f.id, label: f.name }))} />
            </div>
          ) : <div className="field-hint">Follows {(columns.find(c => c.id === column.options.fund_id) || { name: 'its fund' }).name}. Stages are fixed: {((column.options.choices) || []).map(c => c.name).join(', ')}.</div>)}
          {type === 'fund' && (
            <div className="opt-grid field">
              <TextField label="Vintage" type="number" value={opts.vintage === undefined || opts.vintage === null ? '' : String(opts.vintage)} onChange={v => set('vintage', v === '' ? undefined : parseInt(v, 10))} min={1900} max={2200} />
              <TextField label="Target" value={opts.target === undefined || opts.target === null ? '' : (typeof opts.target === 'number' ? opts.target.toLocaleString() : opts.target)}
                onChange={v => { set('target', v); setErrors(x => ({ ...x, target: undefined })); }} error={errors.target} placeholder="50,000,000" inputMode="decimal" />
              <SelectField label="Currency" value={opts.currency || 'USD'} onChange={v => set('currency', v)} options={CURRENCIES.map(([c, s]) => ({ value: c, label: c + ' (' + s + ')' }))} />
            </div>
          )}
          {type === 'formula' && (
            <Field label="Formula" id={fxId} error={errors.formula} hint="Airtable syntax. Type { for fields; function names autocomplete.">
              <FormulaEditor value={opts.formula || ''} onChange={v => { set('formula', v); setFxError(null); setErrors(x => ({ ...x, formula: undefined })); }} columns={columns} functions={meta.functions}
                selfId={column && column.id} row={row} rowName={rowName} serverError={fxError} inputId={fxId} />
            </Field>
          )}
          {formError && <div className="field"><FormError>{formError}</FormError></div>}
        </div>
        <FormFoot onCancel={onClose} icon={isNew ? 'plus' : 'check'} pending={pending} label={isNew ? 'Add field' : 'Save field'} hint={<><kbd>Esc</kbd> to cancel</>} />
      </form>
    </Modal>
  );
}

/* ---------- the workspace ---------- */
