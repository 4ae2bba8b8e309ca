/* ========================================================================
   Automations: rules that keep the lists right
   ======================================================================== */
const TRIGGERS = [
  { value: 'edit', label: 'On edit', icon: 'pencil', desc: 'Checks an investor the moment someone changes it.' },
  { value: 'schedule', label: 'Scheduled', icon: 'clock', desc: 'Checks every investor periodically: for “no contact in 30 days”.' },
  { value: 'both', label: 'Both', icon: 'zap', desc: 'On every edit, and on the schedule as well.' },
];
const RUN_TRIGGERS = { edit: ['On edit', 'pencil'], schedule: ['Scheduled', 'clock'], manual: ['Manual run', 'play'], both: ['Both', 'zap'] };
// Kinds a "set a field" action can write from this screen (contacts need the grid's editor).
const SETTABLE_KINDS = { text: 'text', single_select: 'choice', multi_select: 'list', number: 'number', date: 'day', checkbox: 'bool' };
const RUN_PAGE = 50;

function TriggerBadge({ trigger }) {
  const t = RUN_TRIGGERS[trigger] || [capitalize(trigger), 'zap'];
  return <span className={'trig trig-' + trigger}><Icon name={t[1]} />{t[0]}</span>;
}

function pausedColumns(rule, byId) {
  const m = /column\(s\)\s+(.+?)\s+no longer exist/.exec(rule.status || '');
  if (!m) return [];
  return m[1].split(/,\s*/).map(id => (byId[id] ? '“' + byId[id].name + '”' : 'a deleted field'));
}

function RuleStatus({ rule, byId }) {
  if (String(rule.status || '').startsWith('paused')) {
    const cols = pausedColumns(rule, byId);
    return <Pill tone="amber" dot title={'Paused: ' + (cols.join(', ') || 'a field it uses') + ' no longer exists'}>Paused</Pill>;
  }
  return rule.enabled ? <Pill tone="green" dot>Active</Pill> : <Pill tone="gray" dot>Disabled</Pill>;
}

function Switch({ checked, onChange, label, disabled }) {
  return (
    <button type="button" role="switch" className="switch" aria-checked={checked ? 'true' : 'false'} aria-label={label} title={label}
      disabled={disabled} onClick={() => onChange(!checked)}><span className="sr-only">{checked ? 'On' : 'Off'}</span></button>
  );
}

function ListSummary({ lists, counts, rules }) {
  const total = counts ? lists.reduce((s, n) => s + (counts[n] || 0), 0) : 0;
  return (
    <div className="list-cards" role="group" aria-label="Investors per list">
      {lists.map(name => {
        const m = LIST_META[name] || { label: listLabel(name), icon: 'inbox', color: 'gray', desc: '' };
        const n = counts ? counts[name] || 0 : null;
        const pct = total ? Math.round((n / total) * 100) : 0;
        const feeders = (rules || []).filter(r => r.enabled && r.action && r.action.type === 'move_to_list' && r.action.list === name).length;
        return (
          <div className={'card list-card cc-' + m.color} key={name}>
            <div className="lc-top">
              <span className="lc-icon"><Icon name={m.icon} /></span>
              <span className="lc-name">{m.label}</span>
              {feeders > 0 && <span className="lc-rules" title={plural(feeders, 'active rule') + (feeders === 1 ? ' moves' : ' move') + ' investors here'}><Icon name="zap" />{plural(feeders, 'rule')}</span>}
            </div>
            <div className="lc-count-row">
              <span className="lc-count">{n === null ? <span className="sk lc-sk" /> : n.toLocaleString()}</span>
              {n !== null && total > 0 && <span className="lc-pct">{pct}%</span>}
            </div>
            <div className="lc-sub" title={m.desc}>{m.desc}</div>
            <div className="lc-bar" aria-hidden="true"><span style={{ width: (counts ? Math.max(pct, n ? 2 : 0) : 0) + '%' }} /></div>
          </div>
        );
      })}
    </div>
  );
}

function RuleRow({ rule, byId, meta, busy, onToggle, onEdit, onDelete }) {
  const paused = String(rule.status || '').startsWith('paused');
  return (
    <li className={cx('rule', !rule.enabled && 'is-off', paused && 'is-paused')}>
      <div className="rule-switch"><Switch checked={rule.enabled} disabled={busy} onChange={onToggle} label={'Enable ' + rule.name} /></div>
      <div className="rule-main">
        <button type="button" className="rule-name" onClick={onEdit}>{rule.name}</button>
        <RuleSentence condition={rule.condition} action={rule.action} byId={byId} meta={meta} />
        {paused && (
          <div className="rule-paused"><Icon name="alert-triangle" />
            <span>Paused: {pausedColumns(rule, byId).join(', ') || 'a field it uses'} no longer exists. Edit the rule to use another field.</span>
          </div>
        )}
      </div>
      <div className="rule-side">
        <div className="rule-badges"><TriggerBadge trigger={rule.trigger} /><RuleStatus rule={rule} byId={byId} /></div>
        <div className="rule-last">{rule.last_applied_at ? <>Last applied <Time value={rule.last_applied_at} /></> : 'Not applied yet'}</div>
      </div>
      <div className="rule-menu">
        <Menu label={'Actions for ' + rule.name} button={({ toggle, props }) => <button type="button" className="icon-btn" onClick={toggle} {...props}><Icon name="more" /></button>}>
          {close => (
            <>
              <MenuItem icon="pencil" onClick={() => { close(); onEdit(); }}>Edit rule…</MenuItem>
              <MenuItem icon={rule.enabled ? 'pause' : 'play'} onClick={() => { close(); onToggle(!rule.enabled); }}>{rule.enabled ? 'Disable' : 'Enable'}</MenuItem>
              <div className="menu-sep" />
              <MenuItem icon="trash" danger onClick={() => { close(); onDelete(); }}>Delete…</MenuItem>
            </>
          )}
        </Menu>
      </div>
    </li>
  );
}

function RuleSkeleton() {
  return [0, 1].map(i => (
    <li className="rule" key={i} aria-hidden="true">
      <div className="rule-switch"><span className="sk sk-switch" /></div>
      <div className="rule-main"><span className="sk sk-w40" /><span className="sk sk-w70 sk-gap" /><span className="sk sk-w30 sk-gap" /></div>
      <div className="rule-side"><span className="sk sk-w100" /></div>
      <div />
    </li>
  ));
}

function emptyActionValue(column, meta) {
  const shape = SETTABLE_KINDS[columnKind(column, meta)];
  return shape === 'bool' ? true : shape === 'list' ? [] : null;
}

function actionProblem(action, byId) {
  if (action.type === 'move_to_list') return action.list ? null : 'Choose the list to move investors to.';
  if (!action.column_id) return 'Choose the field to set.';
  const col = byId[action.column_id];
  if (!col || col.archived_at) return 'That field was deleted: choose another one.';
  return null;
}

function cleanAction(action) {
  if (action.type === 'move_to_list') return { type: 'move_to_list', list: action.list };
  let v = action.value;
  if (typeof v === 'string') v = v.trim() === '' ? null : v.trim();
  return { type: 'set_value', column_id: action.column_id, value: v === undefined ? null : v };
}

function ActionEditor({ action, onChange, columns, meta, byId, lists, counts, error }) {
  const settable = columns.filter(c => !c.archived_at && c.editable !== false && !(meta.computed_types || []).includes(c.type)
    && c.field !== 'list' && SETTABLE_KINDS[columnKind(c, meta)]);
  const target = action.type === 'set_value' && action.column_id ? byId[action.column_id] : null;
  if (target && !settable.includes(target)) settable.unshift(target);
  const setType = type => {
    if (type === action.type) return;
    onChange(type === 'move_to_list' ? { type, list: null } : { type, column_id: null, value: null });
  };
  const setColumn = id => { const col = byId[id]; onChange({ type: 'set_value', column_id: id, value: col ? emptyActionValue(col, meta) : null }); };
  return (
    <div className={cx('action-editor', error && 'is-invalid')}>
      <div className="seg action-kind" role="group" aria-label="Action">
        <button type="button" className={cx('seg-btn', action.type === 'move_to_list' && 'is-on')} aria-pressed={action.type === 'move_to_list' ? 'true' : 'false'}
          onClick={() => setType('move_to_list')}><Icon name="arrow-right" />Move to list</button>
        <button type="button" className={cx('seg-btn', action.type === 'set_value' && 'is-on')} aria-pressed={action.type === 'set_value' ? 'true' : 'false'}
          onClick={() => setType('set_value')}><Icon name="pencil" />Set a field</button>
      </div>
      {action.type === 'move_to_list' ? (
        <div className="list-choices" role="radiogroup" aria-label="Move to list">
          {lists.map(name => {
            const m = LIST_META[name] || { label: listLabel(name), icon: 'inbox', color: 'gray' };
            const on = action.list === name;
            return (
              <label key={name} className={cx('list-choice', 'cc-' + m.color, on && 'is-checked')}>
                <input type="radio" name="action-list" value={name} checked={on} onChange={() => onChange({ type: 'move_to_list', list: name })} />
                <span className="lc-icon"><Icon name={m.icon} /></span>
                <span className="lch-text"><span className="lch-name">{m.label}</span>{counts && <span className="lch-count">{plural(counts[name] || 0, 'investor')}</span>}</span>
              </label>
            );
          })}
        </div>
      ) : (
        <div className="set-value">
          <select className="select set-col" aria-label="Field to set" value={action.column_id || ''} onChange={e => setColumn(e.target.value)}
            aria-invalid={error && !target ? 'true' : undefined}>
            <option value="" disabled>Choose a field…</option>
            {settable.map(c => <option key={c.id} value={c.id} disabled={!!c.archived_at}>{c.name}{c.archived_at ? ' (deleted)' : ''}</option>)}
          </select>
          {target && <span className="set-to">to</span>}
          {target && (
            <div className="set-val">
              <ValueInput column={target} shape={SETTABLE_KINDS[columnKind(target, meta)] || 'text'} value={action.value} clearable
                onChange={v => onChange({ ...action, value: v })} />
            </div>
          )}
        </div>
      )}
      {error && <div className="field-error"><Icon name="alert-circle" />{error}</div>}
    </div>
  );
}

// "Status is Meeting → move to Longshot"; further conditions are counted, not spelled out.
function suggestRuleName(condition, action, byId, meta) {
  const items = condition.conditions || [];
  const first = isFilterGroup(items[0]) ? '(' + partsText(groupParts(items[0], byId, meta)) + ')' : partsText(conditionParts(items[0], byId, meta));
  const more = items.length > 1 ? ' ' + (condition.op === 'or' ? 'or' : 'and') + ' ' + plural(items.length - 1, 'more condition') : '';
  const name = first + more + ' → ' + partsText(actionParts(action, byId, meta));
  return name.length > 120 ? name.slice(0, 119) + '…' : name;
}

function RuleEditorModal({ rule, columns, meta, counts, onClose, onSaved }) {
  const isNew = !rule;
  const { f, set, errors, setErrors, formError, setFormError, pending, setPending } = useForm({
    name: rule ? rule.name : '',
    trigger: rule ? rule.trigger : 'both',
    condition: rule ? rule.condition : { op: 'and', conditions: [newCondition(null, meta)] },
    action: rule ? rule.action : { type: 'move_to_list', list: null },
  });
  const [showErrors, setShowErrors] = useState(false);
  const byId = useMemo(() => { const m = {}; columns.forEach(c => { m[c.id] = c; }); return m; }, [columns]);
  const lists = meta.lists || Object.keys(LIST_META);
  const complete = !filterProblem(f.condition, byId, meta) && !actionProblem(f.action, byId);
  const suggested = complete ? suggestRuleName(f.condition, f.action, byId, meta) : '';
  const nameId = useId();
  const submit = async e => {
    e.preventDefault();
    const errs = {};
    const name = f.name.trim() || suggested.slice(0, 200);
    if (!name) errs.name = 'Give the rule a name.';
    const cp = filterProblem(f.condition, byId, meta);
    if (cp) errs.condition = cp;
    const ap = actionProblem(f.action, byId);
    if (ap) errs.action = ap;
    setErrors(errs); setFormError(''); setShowErrors(!!cp);
    if (Object.keys(errs).length) return;
    setPending(true);
    const body = { name, trigger: f.trigger, condition: f.condition, action: cleanAction(f.action) };
    try {
      const r = isNew
        ? await api('/api/fundraising/automations', { method: 'POST', body: { ...body, enabled: true } })
        : await api('/api/fundraising/automations/' + encodeURIComponent(rule.id), { method: 'PATCH', body });
      onSaved(r.data, isNew);
    } catch (err) {
      const field = err.body && err.body.field;
      const where = ['name', 'trigger', 'condition', 'action'].includes(field) ? field : /^filter/i.test(err.message) ? 'condition' : null;
      if (where) setErrors({ [where]: err.message }); else setFormError(err.message);
      setPending(false);
    }
  };
  return (
    <Modal title={isNew ? 'New automation rule' : 'Edit rule'} size="lg" onClose={onClose}
      description="When an investor matches the conditions, the action runs on that investor. Every change is logged.">
      <form onSubmit={submit} noValidate>
        <div className="modal-body rule-editor">
          <Field label="Name" id={nameId} error={errors.name} hint={!f.name.trim() && suggested ? 'Leave empty to use the suggestion.' : null}>
            <input id={nameId} className="input" name="name" value={f.name} onChange={e => set('name')(e.target.value)} autoComplete="off" maxLength={200}
              placeholder={suggested || 'e.g. Meetings that stall go to Longshot'} aria-invalid={errors.name ? 'true' : undefined} />
          </Field>
          <div className="field">
            <span className="field-label" id={nameId + '-trig'}>Runs</span>
            <div className="choice-grid trig-grid" role="radiogroup" aria-labelledby={nameId + '-trig'}>
              {TRIGGERS.map(t => (
                <label key={t.value} className={cx('checkbox', f.trigger === t.value && 'is-checked')}>
                  <input type="radio" name="trigger" value={t.value} checked={f.trigger === t.value} onChange={() => set('trigger')(t.value)} />
                  <span><span className="cb-title"><Icon name={t.icon} />{t.label}</span><span className="cb-desc">{t.desc}</span></span>
                </label>
              ))}
            </div>
            {errors.trigger && <div className="field-error"><Icon name="alert-circle" />{errors.trigger}</div>}
          </div>
          <div className="field">
            <span className="field-label">Conditions<span className="opt">Investors that match</span></span>
            <div className={cx('fb-box', errors.condition && 'is-invalid')}>
              <FilterBuilder columns={columns} meta={meta} value={f.condition} onChange={set('condition')} showErrors={showErrors} label="Rule conditions" />
            </div>
            {errors.condition && <div className="field-error" role="alert"><Icon name="alert-circle" />{errors.condition}</div>}
          </div>
          <div className="field">
            <span className="field-label">Then</span>
            <ActionEditor action={f.action} onChange={set('action')} columns={columns} meta={meta} byId={byId} lists={lists} counts={counts} error={errors.action} />
          </div>
          <div className="rule-preview" aria-live="polite">
            <div className="rp-label">Preview</div>
            <RuleSentence condition={f.condition} action={f.action} byId={byId} meta={meta} />
          </div>
          {formError && <div className="field"><FormError>{formError}</FormError></div>}
        </div>
        <FormFoot onCancel={onClose} icon={isNew ? 'plus' : 'check'} pending={pending} label={isNew ? 'Create rule' : 'Save changes'} hint={<><kbd>Esc</kbd> to cancel</>} />
      </form>
    </Modal>
  );
}

function RunChanges({ run, colsByName }) {
  const d = run.details || {};
  if (run.outcome === 'error' || typeof d.error === 'string') return <span className="run-error"><Icon name="alert-circle" />{String(d.error || 'The action failed.')}</span>;
  const entries = Object.entries(d);
  if (!entries.length) return <span className="faint">—</span>;
  return (
    <div className="changes">
      {entries.map(([name, ch]) => {
        const col = colsByName[name];
        const isObj = ch && typeof ch === 'object' && 'new' in ch;
        const oldT = isObj ? fmtCell(col, ch.old) : null;
        const newT = fmtCell(col, isObj ? ch.new : ch);
        const color = v => (col && typeof v === 'string' ? choiceColor(col, v) : null);
        return (
          <span className="change" key={name}>
            <span className="ch-col">{name}:</span>
            {isObj && <><span className={cx('tok tok-sm tok-old', color(ch.old) && 'cc-' + color(ch.old), oldT === null && 'is-empty')}>{oldT === null ? 'empty' : oldT}</span><Icon name="arrow-right" className="ch-arrow" /></>}
            <span className={cx('tok tok-sm', isObj && color(ch.new) && 'cc-' + color(ch.new), newT === null && 'is-empty')}>{isObj && color(ch.new) && <span className="cdot" />}{newT === null ? 'empty' : newT}</span>
          </span>
        );
      })}
    </div>
  );
}

function RunLog({ rules, columns, ready, refreshKey }) {
  const [offset, setOffset] = useState(0);
  const [ruleId, setRuleId] = useState('');
  const [state, reload] = useAsync(() => api('/api/fundraising/automation-runs?limit=' + RUN_PAGE + '&offset=' + offset + (ruleId ? '&rule_id=' + encodeURIComponent(ruleId) : '')),
    [offset, ruleId, refreshKey]);
  const colsByName = useMemo(() => { const m = {}; (columns || []).forEach(c => { if (!m[c.name] || !c.archived_at) m[c.name] = c; }); return m; }, [columns]);
  const page = pageInfo(state, offset, RUN_PAGE);
  const rows = page.rows;
  return (
    <section className="auto-section" aria-labelledby="run-log-title">
      <div className="toolbar">
        <div>
          <h2 className="section-title" id="run-log-title">Run log</h2>
          <div className="muted small">Every change a rule made, newest first.</div>
        </div>
        <span className="spacer" />
        <select className="select select-sm run-log-filter" value={ruleId} onChange={e => { setOffset(0); setRuleId(e.target.value); }} aria-label="Show runs of">
          <option value="">All rules</option>
          {(rules || []).map(r => <option key={r.id} value={r.id}>{r.name}</option>)}
        </select>
        <Button size="sm" variant="secondary" icon="refresh" onClick={() => reload()} pending={state.loading && !!state.data}>Refresh</Button>
      </div>
      <LoadError error={state.error} onRetry={reload} />
      <div className="table-card">
        <div className="table-scroll">
          <table className="table run-table">
            <thead><tr><th>When</th><th>Rule</th><th>Investor</th><th>Trigger</th><th>What changed</th><th>Outcome</th></tr></thead>
            <tbody>
              {(state.loading && !state.data) || !ready ? <SkeletonRows cols={6} rows={4} /> : rows.length === 0 ? (
                <TableEmpty cols={6} icon="history" title={ruleId ? 'This rule has not changed anything yet' : 'No runs yet'}>
                  When a rule moves an investor or sets a field, it shows up here, with what changed.
                </TableEmpty>
              ) : rows.map(run => (
                <tr key={run.id} className={cx(run.outcome === 'error' && 'is-error')}>
                  <td className="muted nowrap"><Time value={run.at} /></td>
                  <td className="run-rule">{run.rule_name || <span className="faint">Deleted rule</span>}</td>
                  <td>{run.investor_name
                    ? <div className="who"><Avatar name={run.investor_name} size="sm" /><span className="who-name">{run.investor_name}</span></div>
                    : <span className="faint">Unnamed investor</span>}</td>
                  <td><TriggerBadge trigger={run.trigger} /></td>
                  <td><RunChanges run={run} colsByName={colsByName} /></td>
                  <td>{run.outcome === 'error' ? <Pill tone="red" dot>Error</Pill> : <Pill tone="green" dot>Applied</Pill>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <PagerFoot page={page} offset={offset} size={RUN_PAGE} loading={state.loading} onOffset={setOffset} showCount={ready} />
      </div>
    </section>
  );
}

function AutomationsPage() {
  usePageTitle('Automations');
  const toast = useToast();
  const [state, reload, setState] = useAsync(() => Promise.all([
    api('/api/fundraising/meta'), api('/api/fundraising/columns?include_archived=1'),
    api('/api/fundraising/automations'), api('/api/fundraising/lists'),
  ]).then(([m, c, a, l]) => ({ meta: m.data || {}, columns: c.data || [], rules: a.data || [], counts: l.data || {} })), []);
  const [runsKey, setRunsKey] = useState(0);
  const [editor, setEditor] = useState(null);
  const [remove, setRemove] = useState(null);
  const [running, setRunning] = useState(false);
  const [busy, setBusy] = useState({});
  const d = state.data;
  const meta = d ? d.meta : null;
  const columns = d ? d.columns : [];
  const rules = d ? d.rules : [];
  const lists = (meta && meta.lists) || Object.keys(LIST_META);
  const byId = useMemo(() => { const m = {}; columns.forEach(c => { m[c.id] = c; }); return m; }, [columns]);
  const refresh = () => { reload(true); setRunsKey(k => k + 1); };
  const patchLocal = (id, changes) => setState(s => (s.data ? { ...s, data: { ...s.data, rules: s.data.rules.map(r => (r.id === id ? { ...r, ...changes } : r)) } } : s));

  const runNow = async () => {
    setRunning(true);
    try {
      const r = (await api('/api/fundraising/automations/run', { method: 'POST' })).data || {};
      const scheduled = rules.filter(x => x.enabled && x.trigger !== 'edit');
      const verb = scheduled.length && scheduled.every(x => x.action && x.action.type === 'move_to_list') ? 'moved' : 'updated';
      if (!r.rules) toast('No scheduled rules are turned on, so nothing ran.', 'info');
      else toast('Checked ' + plural(r.rows_checked || 0, 'investor') + ' · ' + (r.applied ? r.applied.toLocaleString() + ' ' + verb : 'nothing to change'));
      refresh();
    } catch (err) { toast('Could not run the rules: ' + err.message, 'error'); }
    setRunning(false);
  };

  const toggle = async (rule, enabled) => {
    const paused = String(rule.status || '').startsWith('paused');
    setBusy(b => ({ ...b, [rule.id]: true }));
    patchLocal(rule.id, { enabled, status: paused ? rule.status : enabled ? 'active' : 'disabled' });
    try {
      await api('/api/fundraising/automations/' + encodeURIComponent(rule.id), { method: 'PATCH', body: { enabled } });
      toast('“' + rule.name + '” turned ' + (enabled ? 'on.' : 'off.'));
      reload(true);
    } catch (err) {
      patchLocal(rule.id, { enabled: rule.enabled, status: rule.status });
      toast('Couldn’t ' + (enabled ? 'enable' : 'disable') + ' “' + rule.name + '”: ' + err.message, 'error');
    }
    setBusy(b => ({ ...b, [rule.id]: false }));
  };

  const activeCount = rules.filter(r => r.enabled && !String(r.status || '').startsWith('paused')).length;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Automations</h1>
          <p>Rules that keep your lists right: when an investor matches a condition, move them to another list or set a field, on every edit, on a schedule, or both.</p>
        </div>
        <div className="actions">
          <Button variant="secondary" icon="play" pending={running} disabled={!d} onClick={runNow}>Run scheduled rules now</Button>
          <Button variant="primary" icon="plus" disabled={!d} onClick={() => setEditor({ rule: null })}>New rule</Button>
        </div>
      </div>
      {state.error && !d ? (
        <div className="card"><CenterState icon="alert-triangle" tone="red" title="Couldn’t load automations"
          action={<Button icon="refresh" onClick={() => reload()}>Try again</Button>}>{state.error.message}</CenterState></div>
      ) : (
        <>
          <ListSummary lists={lists} counts={d ? d.counts : null} rules={rules} />
          <section className="auto-section" aria-labelledby="rules-title">
            <div className="toolbar">
              <div>
                <h2 className="section-title" id="rules-title">Rules</h2>
                <div className="muted small">{d && rules.length ? plural(rules.length, 'rule') + ' · ' + activeCount + ' active. Rules run top to bottom; each change is logged below.' : '\u00a0'}</div>
              </div>
            </div>
            {state.error && d && <LoadError error={state.error} onRetry={reload} />}
            <div className="card">
              {d && rules.length === 0 ? (
                <CenterState icon="zap" tone="indigo" title="No rules yet"
                  action={<Button variant="primary" icon="plus" onClick={() => setEditor({ rule: null })}>New rule</Button>}>
                  Rules move investors between lists or set a field when they match a condition, so nobody has to remember to.
                </CenterState>
              ) : (
                <ul className="rule-list">
                  {!d ? <RuleSkeleton /> : rules.map(rule => (
                    <RuleRow key={rule.id} rule={rule} byId={byId} meta={meta} busy={!!busy[rule.id]}
                      onToggle={enabled => toggle(rule, enabled)} onEdit={() => setEditor({ rule })} onDelete={() => setRemove(rule)} />
                  ))}
                </ul>
              )}
            </div>
          </section>
          <RunLog rules={rules} columns={columns} ready={!!d} refreshKey={runsKey} />
        </>
      )}
      {editor && d && (
        <RuleEditorModal rule={editor.rule} columns={columns} meta={meta} counts={d.counts} onClose={() => setEditor(null)}
          onSaved={(saved, isNew) => { setEditor(null); toast(isNew ? 'Rule “' + saved.name + '” created.' : 'Rule “' + saved.name + '” saved.'); refresh(); }} />
      )}
      {remove && (
        <ConfirmDialog title={'Delete “' + remove.name + '”?'} confirmLabel="Delete rule"
          body="The rule stops running right away. Changes it already made stay, and its entries remain in the run log."
          onConfirm={async () => {
            await api('/api/fundraising/automations/' + encodeURIComponent(remove.id), { method: 'DELETE' });
            toast('Rule “' + remove.name + '” deleted.');
            refresh();
          }}
          onClose={() => setRemove(null)} />
      )}
    </div>
  );
}

registerScreen({ path: '/automations', label: 'Automations', icon: 'zap', title: 'Automations', Page: AutomationsPage, order: 40 });
