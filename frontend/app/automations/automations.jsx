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
const RUN_PAGE = 10;          // runs per page of the run log
const ALL_CHANGES = 500;      // changes "Show all" loads for one run

// "every hour" / "every 15 minutes": how often the scheduler runs the scheduled rules.
function everyText(seconds) {
  if (!seconds) return 'on a schedule';
  if (seconds % 3600 === 0) return seconds === 3600 ? 'every hour' : 'every ' + seconds / 3600 + ' hours';
  if (seconds % 60 === 0) return seconds === 60 ? 'every minute' : 'every ' + seconds / 60 + ' minutes';
  return 'every ' + plural(seconds, 'second');
}

// Names of the fields a condition reads ("Status", "Last Contact and List").
function readsText(condition, byId) {
  const ids = [];
  const walk = g => (g.conditions || []).forEach(c => (isFilterGroup(c) ? walk(c) : c.column_id && !ids.includes(c.column_id) && ids.push(c.column_id)));
  walk(condition || {});
  const names = ids.map(id => (byId[id] ? byId[id].name : 'a deleted field'));
  return names.length > 1 ? names.slice(0, -1).join(', ') + ' or ' + names[names.length - 1] : names[0] || 'a field';
}

// When a rule acts, in words; a rule that is off says it changes nothing.
function ruleWhen(rule, byId, interval) {
  if (!rule.enabled) return 'Off: changes nothing until you turn it on.';
  const edit = 'when someone changes ' + readsText(rule.condition, byId);
  const sched = 'on the scheduled run, ' + everyText(interval);
  if (rule.trigger === 'edit') return 'Acts ' + edit + '.';
  if (rule.trigger === 'schedule') return 'Acts ' + sched + '.';
  return 'Acts ' + edit + ', and ' + sched + '.';
}

const isPaused = rule => String(rule.status || '').startsWith('paused');
const movesOnly = rules => rules.length > 0 && rules.every(r => r.action && r.action.type === 'move_to_list');

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
  return null; // on/off is the switch and its label
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

function RuleRow({ rule, byId, meta, busy, interval, onToggle, onEdit, onDelete, onPreview }) {
  const paused = isPaused(rule);
  return (
    <li className={cx('rule', !rule.enabled && 'is-off', paused && 'is-paused')}>
      <div className="rule-switch">
        <Switch checked={rule.enabled} disabled={busy} onChange={onToggle} label={'Turn ' + rule.name + (rule.enabled ? ' off' : ' on')} />
        <span className={cx('switch-state', rule.enabled && 'is-on')} aria-hidden="true">{rule.enabled ? 'On' : 'Off'}</span>
      </div>
      <div className="rule-main">
        <button type="button" className="rule-name" onClick={onEdit}>{rule.name}</button>
        <RuleSentence condition={rule.condition} action={rule.action} byId={byId} meta={meta} />
        <div className={cx('rule-when', !rule.enabled && 'is-off')}>
          <Icon name={!rule.enabled ? 'pause' : rule.trigger === 'edit' ? 'pencil' : 'clock'} />
          <span>{ruleWhen(rule, byId, interval)}</span>
          {!paused && <button type="button" className="link-btn" onClick={onPreview}>{rule.enabled ? 'Preview a run' : 'See what it would change'}</button>}
        </div>
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
              <MenuItem icon="eye" disabled={paused} onClick={() => { close(); onPreview(); }}>Preview what it would change…</MenuItem>
              <MenuItem icon={rule.enabled ? 'pause' : 'play'} onClick={() => { close(); onToggle(!rule.enabled); }}>{rule.enabled ? 'Turn off' : 'Turn on…'}</MenuItem>
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
  if (action.type === 'create_task') return String(action.title || '').trim() ? null : 'Give the task a title.';
  if (!action.column_id) return 'Choose the field to set.';
  const col = byId[action.column_id];
  if (!col || col.archived_at) return 'That field was deleted: choose another one.';
  return null;
}

function cleanAction(action) {
  if (action.type === 'move_to_list') return { type: 'move_to_list', list: action.list };
  if (action.type === 'create_task') {
    const days = action.due_in_days === '' || action.due_in_days === null || action.due_in_days === undefined ? null : Number(action.due_in_days);
    return { type: 'create_task', title: String(action.title || '').trim(), due_in_days: days, owner: action.owner || null };
  }
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
    onChange(type === 'move_to_list' ? { type, list: null } : type === 'create_task' ? { type, title: '', due_in_days: 3, owner: null } : { type, column_id: null, value: null });
  };
  const setColumn = id => { const col = byId[id]; onChange({ type: 'set_value', column_id: id, value: col ? emptyActionValue(col, meta) : null }); };
  return (
    <div className={cx('action-editor', error && 'is-invalid')}>
      <div className="seg action-kind" role="group" aria-label="Action">
        <button type="button" className={cx('seg-btn', action.type === 'move_to_list' && 'is-on')} aria-pressed={action.type === 'move_to_list' ? 'true' : 'false'}
          onClick={() => setType('move_to_list')}><Icon name="arrow-right" />Move to list</button>
        <button type="button" className={cx('seg-btn', action.type === 'set_value' && 'is-on')} aria-pressed={action.type === 'set_value' ? 'true' : 'false'}
          onClick={() => setType('set_value')}><Icon name="pencil" />Set a field</button>
        <button type="button" className={cx('seg-btn', action.type === 'create_task' && 'is-on')} aria-pressed={action.type === 'create_task' ? 'true' : 'false'}
          onClick={() => setType('create_task')}><Icon name="check-square" />Create a task</button>
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
      ) : action.type === 'create_task' ? (
        <TaskActionFields action={action} onChange={onChange} invalid={!!error} />
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

// A create_task action: the task's title, when it is due, and whose it is (by default the
// rule's creator). The server makes one open task per investor and rule.
function TaskActionFields({ action, onChange, invalid }) {
  const [users, setUsers] = useState([]);
  const ids = useId();
  useEffect(() => { api('/api/users').then(r => setUsers((r.data || []).filter(u => u.is_active !== false)), () => {}); }, []);
  const days = action.due_in_days === null || action.due_in_days === undefined ? '' : action.due_in_days;
  return (
    <div className="task-action">
      <input className="input" value={action.title || ''} maxLength={300} aria-label="Task title" aria-invalid={invalid && !String(action.title || '').trim() ? 'true' : undefined}
        placeholder="e.g. Follow up: quiet for 30 days" onChange={e => onChange({ ...action, title: e.target.value })} />
      <div className="ta-row">
        <label className="ta-field" htmlFor={ids + '-due'}><span>Due in</span>
          <input id={ids + '-due'} type="number" className="input ta-days" min="0" max="3650" step="1" value={days} placeholder="—"
            onChange={e => onChange({ ...action, due_in_days: e.target.value === '' ? null : Math.max(0, Math.min(3650, Math.round(Number(e.target.value)))) })} />
          <span>days</span></label>
        <label className="ta-field" htmlFor={ids + '-owner'}><span>For</span>
          <select id={ids + '-owner'} className="select ta-owner" value={action.owner || ''} onChange={e => onChange({ ...action, owner: e.target.value || null })}>
            <option value="">Whoever made the rule</option>
            {users.map(u => <option key={u.id} value={u.id}>{u.username}</option>)}
          </select></label>
      </div>
      <div className="ta-hint"><Icon name="info" />One open task per investor: a later run, or the investor matching again, makes no second one until it is done.</div>
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

/* ---------- what changed: "List: Main → Follow-up" ---------- */
// changes: [[column name, {old, new}] | [column name, value]]; columns are looked up by name.
function ChangeTokens({ changes, colsByName }) {
  if (!changes.length) return <span className="faint">—</span>;
  return (
    <div className="changes">
      {changes.map(([name, ch]) => {
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

function RunChanges({ run, colsByName }) {
  const d = run.details || {};
  if (run.outcome === 'error' || typeof d.error === 'string') return <span className="run-error"><Icon name="alert-circle" />{String(d.error || 'The action failed.')}</span>;
  return <ChangeTokens changes={Object.entries(d)} colsByName={colsByName} />;
}

function useColsByName(columns) {
  return useMemo(() => { const m = {}; (columns || []).forEach(c => { if (!m[c.name] || !c.archived_at) m[c.name] = c; }); return m; }, [columns]);
}

/* ---------- a run's preview: which investors, from what to what, per rule ---------- */
function PreviewRule({ entry, colsByName }) {
  return (
    <section className="pv-rule" aria-label={'Changes by ' + entry.rule_name}>
      <div className="pv-rule-head">
        <span className="pv-rule-icon"><Icon name="zap" /></span>
        <span className="pv-rule-name">{entry.rule_name}</span>
        <span className="pv-count">{plural(entry.count, 'investor')}</span>
      </div>
      <div className="pv-moves">
        {entry.moves.map((m, i) => (
          <div className="pv-move" key={i}>
            <ChangeTokens changes={[[m.column, m.column_id === null ? m.new : { old: m.old, new: m.new }]]} colsByName={colsByName} />
            <span className="pv-move-n">× {m.count.toLocaleString()}</span>
          </div>
        ))}
      </div>
      <ul className="pv-investors">
        {entry.investors.map(inv => (
          <li key={inv.id} className="pv-investor">
            <div className="who"><Avatar name={inv.name || '?'} size="sm" /><span className="who-name">{inv.name || <span className="faint">Unnamed investor</span>}</span></div>
            <ChangeTokens changes={inv.changes.map(c => [c.column, c.column_id === null ? c.new : { old: c.old, new: c.new }])} colsByName={colsByName} />
          </li>
        ))}
        {entry.more > 0 && <li className="pv-more">and {plural(entry.more, 'more investor')}</li>}
      </ul>
    </section>
  );
}

function PreviewBody({ data, colsByName, single }) {
  if (!data.rules) {
    return <CenterState icon="pause" title="No scheduled rules are on">Turn a scheduled rule on (its switch in the list) to have it run here. Nothing was changed.</CenterState>;
  }
  if (!data.changes) {
    return (
      <CenterState icon="check-circle" tone="green" title="Nothing to change">
        {single ? 'No investor matches this rule right now, or every match is already where the rule would put it.'
          : 'Checked ' + plural(data.rows_checked, 'investor') + ': every one is already where the rules would put it.'}
      </CenterState>
    );
  }
  return (
    <div className="pv-list">
      {data.by_rule.map(entry => <PreviewRule key={entry.rule_id} entry={entry} colsByName={colsByName} />)}
    </div>
  );
}

// mode 'run': confirm runs exactly the previewed plan (409: the plan changed, show the new one).
// mode 'enable': confirm turns the rule on; the preview shows what its next scheduled run would do.
function PreviewModal({ mode, rule, interval, columns, onClose, onDone }) {
  const colsByName = useColsByName(columns);
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  const [stale, setStale] = useState(false);
  const [pending, setPending] = useState(false);
  const body = rule ? { dry_run: true, rule_id: rule.id } : { dry_run: true };
  useEffect(() => {
    let live = true;
    api('/api/fundraising/automations/run', { method: 'POST', body }).then(r => live && setData(r.data), e => live && setError(e.message));
    return () => { live = false; };
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const confirm = async e => {
    e.preventDefault();
    setPending(true); setError('');
    try {
      if (mode === 'enable') {
        await api('/api/fundraising/automations/' + encodeURIComponent(rule.id), { method: 'PATCH', body: { enabled: true } });
        onDone(null);
      } else {
        const r = await api('/api/fundraising/automations/run', { method: 'POST', body: { token: data.token, ...(rule ? { rule_id: rule.id } : {}) } });
        onDone(r.data, data);
      }
    } catch (err) {
      if (err.status === 409 && err.body && err.body.preview) { setData(err.body.preview); setStale(true); }
      else setError(err.message);
      setPending(false);
    }
  };
  const n = data ? data.changes : 0;
  const rules = data ? data.by_rule.map(r => ({ action: r.action })) : [];
  const verb = movesOnly(rules) ? 'Move ' + plural(data ? data.investors : 0, 'investor')
    : rules.length && rules.every(r => r.action && r.action.type === 'create_task') ? 'Create ' + plural(n, 'task') : 'Apply ' + plural(n, 'change');
  const title = mode === 'enable' ? 'Turn on “' + rule.name + '”?' : rule ? 'Run “' + rule.name + '” now?' : 'Run scheduled rules now?';
  const description = mode === 'enable'
    ? 'Once on, it runs ' + everyText(interval) + '. If it ran now, this is what it would change:'
    : 'Nothing changes until you confirm. ' + (data && data.rules ? 'Checked ' + plural(data.rows_checked, 'investor') + ' against ' + plural(data.rules, rule ? 'rule' : 'scheduled rule') + '.' : '');
  const canRun = mode === 'enable' || n > 0;
  return (
    <Modal title={title} description={description} size="lg" onClose={onClose}>
      <form onSubmit={confirm}>
        <div className="modal-body preview-body">
          {stale && <Callout tone="warn" title="The grid changed while you were looking">This is the updated preview: check it again before you confirm.</Callout>}
          {!data && !error ? <div className="pv-loading"><Spinner large /><span>Working out what would change…</span></div> : null}
          {data && <PreviewBody data={data} colsByName={colsByName} single={!!rule} />}
          <FormError>{error}</FormError>
        </div>
        <div className="modal-foot">
          <span className="hint">{data && n > 0 ? <><Icon name="rotate-ccw" />Every run can be undone from the run log.</> : null}</span>
          <Button onClick={onClose}>{canRun ? 'Cancel' : 'Close'}</Button>
          {canRun && (
            <Button type="submit" variant="primary" pending={pending} disabled={!data} icon={mode === 'enable' ? 'play' : 'check'} data-autofocus="true">
              {mode === 'enable' ? 'Turn on' : verb}
            </Button>
          )}
        </div>
      </form>
    </Modal>
  );
}

/* ---------- undo a run ---------- */
function LeftList({ left, total, colsByName }) {
  return (
    <ul className="undo-left">
      {left.map((item, i) => (
        <li key={i}>
          <span className="who-name">{item.investor_name || 'Unnamed investor'}</span>
          <span className="muted"> keeps </span>
          <ChangeTokens changes={[[item.column || 'A deleted field', item.value]]} colsByName={colsByName} />
          <span className="muted small">{item.reason === 'changed since' ? <>changed {item.by ? 'by ' + item.by.replace(/^Automation:\s*/, 'the rule ') + ' ' : ''}<Time value={item.at} /></> : item.reason}</span>
        </li>
      ))}
      {total > left.length && <li className="muted">and {plural(total - left.length, 'more')}</li>}
    </ul>
  );
}

function UndoRunModal({ run, columns, onClose, onDone }) {
  const colsByName = useColsByName(columns);
  const [plan, setPlan] = useState(null);
  const [error, setError] = useState('');
  const [pending, setPending] = useState(false);
  const path = '/api/fundraising/automations/runs/' + encodeURIComponent(run.id) + '/undo';
  useEffect(() => {
    let live = true;
    api(path, { method: 'POST', body: { dry_run: true } }).then(r => live && setPlan(r.data), e => live && setError(e.message));
    return () => { live = false; };
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const confirm = async e => {
    e.preventDefault();
    setPending(true); setError('');
    try { onDone((await api(path, { method: 'POST', body: {} })).data); }
    catch (err) { setError(err.message); setPending(false); }
  };
  const none = plan && plan.investors === 0 && !plan.tasks;
  return (
    <Modal title="Undo this run?" onClose={onClose}
      description={(run.trigger === 'schedule' ? 'Scheduled run' : 'Run by ' + ((run.by && run.by.name) || 'someone')) + ' · ' + fmtAbs(run.at)}>
      <form onSubmit={confirm}>
        <div className="modal-body stack-16">
          {!plan && !error && <div className="pv-loading"><Spinner large /><span>Checking what can go back…</span></div>}
          {plan && plan.tasks > 0 && (
            <p className="undo-what">Takes back the <strong>{plural(plan.tasks, 'task')}</strong> this run created that nobody has ticked off yet (archived, never erased).</p>
          )}
          {plan && !none && plan.investors > 0 && (
            <>
              <p className="undo-what">Puts <strong>{plural(plan.investors, 'investor')}</strong> back where {plan.investors === 1 ? 'it was' : 'they were'} before
                this run. It is recorded as your edit; the rules do not run again on them.</p>
              <ul className="pv-investors undo-back" aria-label="What goes back">
                {plan.back.map(inv => (
                  <li key={inv.investor_id} className="pv-investor">
                    <div className="who"><Avatar name={inv.investor_name || '?'} size="sm" /><span className="who-name">{inv.investor_name || <span className="faint">Unnamed investor</span>}</span></div>
                    <ChangeTokens changes={inv.changes.map(c => [c.column, { old: c.old, new: c.new }])} colsByName={colsByName} />
                  </li>
                ))}
                {plan.investors > plan.back.length && <li className="pv-more">and {plural(plan.investors - plan.back.length, 'more investor')}</li>}
              </ul>
            </>
          )}
          {plan && plan.left_count > 0 && (
            <Callout tone="warn" title={none ? 'Nothing to undo: every investor this run changed was changed again since' : plural(plan.left_count, 'field') + ' changed since this run: kept as they are'}>
              <LeftList left={plan.left} total={plan.left_count} colsByName={colsByName} />
            </Callout>
          )}
          <FormError>{error}</FormError>
        </div>
        <div className="modal-foot">
          <Button onClick={onClose}>{none ? 'Close' : 'Cancel'}</Button>
          {!none && <Button type="submit" variant="primary" icon="rotate-ccw" pending={pending} disabled={!plan} data-autofocus="true">Undo run</Button>}
        </div>
      </form>
    </Modal>
  );
}

/* ---------- the run log, by run ---------- */
function RunGroup({ group, colsByName, onUndo }) {
  const [all, setAll] = useState(null);
  const [loading, setLoading] = useState(false);
  const changes = all || group.changes;
  const isRun = group.kind === 'run';
  const undone = !!group.undone_at;
  const showAll = async () => {
    setLoading(true);
    try { setAll((await api('/api/fundraising/automation-runs?run_id=' + encodeURIComponent(group.id) + '&limit=' + ALL_CHANGES)).data || []); }
    catch (e) { /* the first changes stay on screen; the button stays to retry */ }
    setLoading(false);
  };
  const title = !isRun ? 'On edit' : group.trigger === 'schedule' ? 'Scheduled run' : 'Run by ' + ((group.by && group.by.name) || 'someone');
  const icon = !isRun ? 'pencil' : group.trigger === 'schedule' ? 'clock' : 'play';
  const total = group.applied + group.errors;
  return (
    <li className={cx('run-group', undone && 'is-undone')}>
      <div className="rg-head">
        <span className={'rg-icon rg-' + (isRun ? group.trigger : 'edit')}><Icon name={icon} /></span>
        <div className="rg-title">
          <div className="rg-line"><span className="rg-name">{title}</span><span className="rg-dot">·</span><span className="muted"><Time value={group.at} /></span></div>
          <div className="rg-rules">{group.rules.map(r => r.name + (isRun ? ' (' + r.count.toLocaleString() + ')' : '')).join(' · ')}</div>
        </div>
        <div className="rg-side">
          {group.errors > 0 && <Pill tone="red" dot>{plural(group.errors, 'error')}</Pill>}
          {undone ? (
            <Pill tone="gray" title={'Undone by ' + ((group.undone_by && group.undone_by.name) || 'someone') + ' · ' + fmtAbs(group.undone_at)}>
              <Icon name="rotate-ccw" />Undone by {(group.undone_by && group.undone_by.name) || 'someone'} <Time value={group.undone_at} />
            </Pill>
          ) : <Pill tone="green" dot>{plural(group.applied, 'change')}</Pill>}
          {group.undoable && <Button size="sm" icon="rotate-ccw" onClick={() => onUndo(group)}>Undo</Button>}
        </div>
      </div>
      <ul className="rg-changes">
        {changes.map(c => (
          <li key={c.id} className={cx('rg-change', c.outcome === 'error' && 'is-error', undone && !c.undone_at && 'is-kept')}>
            <div className="who">{c.investor_name ? <><Avatar name={c.investor_name} size="sm" /><span className="who-name">{c.investor_name}</span></> : <span className="faint">Unnamed investor</span>}</div>
            <RunChanges run={c} colsByName={colsByName} />
            {isRun && group.rules.length > 1 && <span className="rg-rule">{c.rule_name}</span>}
            {undone && <span className="rg-state">{c.undone_at ? 'Put back' : 'Kept: changed since'}</span>}
          </li>
        ))}
      </ul>
      {!all && total > changes.length && (
        <div className="rg-more"><button type="button" className="link-btn" onClick={showAll} disabled={loading}>{loading ? 'Loading…' : 'Show all ' + plural(total, 'change')}</button></div>
      )}
    </li>
  );
}

function RunLog({ rules, columns, ready, refreshKey, onUndo }) {
  const [offset, setOffset] = useState(0);
  const [ruleId, setRuleId] = useState('');
  const [state, reload] = useAsync(() => api('/api/fundraising/automations/runs?limit=' + RUN_PAGE + '&offset=' + offset + (ruleId ? '&rule_id=' + encodeURIComponent(ruleId) : '')),
    [offset, ruleId, refreshKey]);
  const colsByName = useColsByName(columns);
  const page = pageInfo(state, offset, RUN_PAGE);
  return (
    <section className="auto-section" aria-labelledby="run-log-title">
      <div className="toolbar">
        <div>
          <h2 className="section-title" id="run-log-title">Run log</h2>
          <div className="muted small">Every change a rule made, by run, newest first. A run can be undone as one step.</div>
        </div>
        <span className="spacer" />
        <select className="select select-sm run-log-filter" value={ruleId} onChange={e => { setOffset(0); setRuleId(e.target.value); }} aria-label="Show runs of">
          <option value="">All rules</option>
          {(rules || []).map(r => <option key={r.id} value={r.id}>{r.name}</option>)}
        </select>
        <Button size="sm" variant="secondary" icon="refresh" onClick={() => reload()} pending={state.loading && !!state.data}>Refresh</Button>
      </div>
      <LoadError error={state.error} onRetry={reload} />
      <div className="table-card run-log">
        {(state.loading && !state.data) || !ready ? (
          <ul className="run-groups" aria-hidden="true">{[0, 1].map(i => <li className="run-group" key={i}><div className="rg-head"><span className="sk sk-switch" /><div className="rg-title"><span className="sk sk-w40" /><span className="sk sk-w70 sk-gap" /></div></div></li>)}</ul>
        ) : page.rows.length === 0 ? (
          <div className="table-empty"><StateIcon icon="history" /><div className="te-title">{ruleId ? 'This rule has not changed anything yet' : 'No runs yet'}</div>
            <div className="te-text">When a rule moves an investor or sets a field, it shows up here with what changed, and runs can be undone.</div></div>
        ) : (
          <ul className="run-groups">{page.rows.map(g => <RunGroup key={g.id || 'c' + g.changes[0].id} group={g} colsByName={colsByName} onUndo={onUndo} />)}</ul>
        )}
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
  ]).then(([m, c, a, l]) => ({ meta: m.data || {}, columns: c.data || [], rules: a.data || [], schedule: a.schedule || {}, counts: l.data || {} })), []);
  const [runsKey, setRunsKey] = useState(0);
  const [editor, setEditor] = useState(null);
  const [remove, setRemove] = useState(null);
  const [preview, setPreview] = useState(null);   // {mode: 'run'|'enable', rule?}
  const [undo, setUndo] = useState(null);         // a run group {id, trigger, by, at}
  const [busy, setBusy] = useState({});
  const d = state.data;
  const meta = d ? d.meta : null;
  const columns = d ? d.columns : [];
  const rules = d ? d.rules : [];
  const interval = d ? d.schedule.interval_seconds : null;
  const lists = (meta && meta.lists) || Object.keys(LIST_META);
  const byId = useMemo(() => { const m = {}; columns.forEach(c => { m[c.id] = c; }); return m; }, [columns]);
  const refresh = () => { reload(true); setRunsKey(k => k + 1); };
  const patchLocal = (id, changes) => setState(s => (s.data ? { ...s, data: { ...s.data, rules: s.data.rules.map(r => (r.id === id ? { ...r, ...changes } : r)) } } : s));

  const ran = (result, plan) => {
    setPreview(null);
    const n = result.applied || 0;
    const rulesRun = plan ? plan.by_rule.map(r => ({ action: r.action })) : [];
    const what = movesOnly(rulesRun) ? plural(n, 'investor') + ' moved' : plural(n, 'change') + ' applied';
    if (n && result.run_id) toast(what + (result.skipped ? ' · ' + result.skipped.toLocaleString() + ' left out: changed since the preview' : '') + '.', 'success',
      { action: { label: 'Undo', run: () => setUndo({ id: result.run_id, trigger: 'manual', by: { name: 'you' }, at: new Date().toISOString() }) } });
    else toast('Nothing changed: every investor in the preview was changed since.', 'info');
    refresh();
  };

  const toggle = async (rule, enabled) => {
    // Turning on a rule that runs on the schedule shows what it would change first.
    if (enabled && rule.trigger !== 'edit' && !isPaused(rule)) { setPreview({ mode: 'enable', rule }); return; }
    setBusy(b => ({ ...b, [rule.id]: true }));
    patchLocal(rule.id, { enabled, status: isPaused(rule) ? rule.status : enabled ? 'active' : 'disabled' });
    try {
      await api('/api/fundraising/automations/' + encodeURIComponent(rule.id), { method: 'PATCH', body: { enabled } });
      toast('“' + rule.name + '” turned ' + (enabled ? 'on: it acts when someone changes ' + readsText(rule.condition, byId) + '.' : 'off.'));
      reload(true);
    } catch (err) {
      patchLocal(rule.id, { enabled: rule.enabled, status: rule.status });
      toast('Couldn’t turn “' + rule.name + '” ' + (enabled ? 'on' : 'off') + ': ' + err.message, 'error');
    }
    setBusy(b => ({ ...b, [rule.id]: false }));
  };

  const activeCount = rules.filter(r => r.enabled && !isPaused(r)).length;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Automations</h1>
          <p>Rules that keep your lists right: when an investor matches a condition, move them to another list or set a field. A run you start shows what it will change first, and every run can be undone.</p>
        </div>
        <div className="actions">
          <Button variant="secondary" icon="play" disabled={!d} onClick={() => setPreview({ mode: 'run' })}>Run scheduled rules now</Button>
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
                <div className="muted small">{d && rules.length ? plural(rules.length, 'rule') + ' · ' + activeCount + ' on. Rules run top to bottom; each change is logged below.' : '\u00a0'}</div>
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
                    <RuleRow key={rule.id} rule={rule} byId={byId} meta={meta} busy={!!busy[rule.id]} interval={interval}
                      onToggle={enabled => toggle(rule, enabled)} onEdit={() => setEditor({ rule })} onDelete={() => setRemove(rule)}
                      onPreview={() => setPreview({ mode: 'run', rule })} />
                  ))}
                </ul>
              )}
            </div>
          </section>
          <RunLog rules={rules} columns={columns} ready={!!d} refreshKey={runsKey} onUndo={setUndo} />
        </>
      )}
      {editor && d && (
        <RuleEditorModal rule={editor.rule} columns={columns} meta={meta} counts={d.counts} onClose={() => setEditor(null)}
          onSaved={(saved, isNew) => { setEditor(null); toast(isNew ? 'Rule “' + saved.name + '” created.' : 'Rule “' + saved.name + '” saved.'); refresh(); }} />
      )}
      {preview && d && (
        <PreviewModal mode={preview.mode} rule={preview.rule} interval={interval} columns={columns} onClose={() => setPreview(null)}
          onDone={(result, plan) => {
            if (preview.mode === 'enable') { setPreview(null); toast('“' + preview.rule.name + '” turned on: it runs ' + everyText(interval) + '.'); refresh(); }
            else ran(result, plan);
          }} />
      )}
      {undo && d && (
        <UndoRunModal run={undo} columns={columns} onClose={() => setUndo(null)}
          onDone={r => {
            setUndo(null);
            toast('Run undone: ' + plural(r.investors, 'investor') + ' put back' + (r.left_count ? ' · ' + plural(r.left_count, 'field') + ' kept (changed since)' : '') + '.');
            refresh();
          }} />
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
