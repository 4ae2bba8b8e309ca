/* ========================================================================
   Filters: operators, values and readable sentences. Shared by the automation rules and the
   grid's saved views (its view bar). The server's /api/fundraising/meta is the only source of which
   operators apply to which column type; this file only labels and orders them.
   ======================================================================== */
const OPERATOR_LABELS = {
  is: 'is', is_not: 'is not', contains: 'contains', does_not_contain: 'does not contain',
  is_empty: 'is empty', is_not_empty: 'is not empty',
  '=': '=', '!=': '≠', '<': '<', '>': '>', '<=': '≤', '>=': '≥',
  is_before: 'is before', is_after: 'is after', is_on_or_before: 'is on or before', is_on_or_after: 'is on or after',
  is_within_last: 'is within the last … days', is_within_next: 'is within the next … days',
  is_any_of: 'is any of', is_none_of: 'is none of', has_any_of: 'has any of', has_all_of: 'has all of',
  has_none_of: 'has none of', is_exactly: 'is exactly',
};
const OPERATOR_PHRASES = { is_within_last: 'is within the last', is_within_next: 'is within the next' };
const OPERATOR_ORDER = ['is', 'is_not', '=', '!=', '<', '>', '<=', '>=', 'contains', 'does_not_contain', 'is_any_of', 'is_none_of',
  'has_any_of', 'has_all_of', 'has_none_of', 'is_exactly', 'is_before', 'is_after', 'is_on_or_before', 'is_on_or_after',
  'is_within_last', 'is_within_next', 'is_empty', 'is_not_empty'];
const NO_VALUE_OPS = ['is_empty', 'is_not_empty'];
const LIST_VALUE_OPS = ['is_any_of', 'is_none_of', 'has_any_of', 'has_all_of', 'has_none_of', 'is_exactly'];
const NUMBER_OPS = ['=', '!=', '<', '>', '<=', '>='];
const DATE_OPS = ['is_before', 'is_after', 'is_on_or_before', 'is_on_or_after'];
const DAY_WORDS = ['today', 'yesterday', 'tomorrow'];
const ISO_DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

// The server says which operator family a column takes (a typed formula uses its result's).
function columnKind(column, meta) {
  return (column && (column.kind || (meta && meta.type_kinds && meta.type_kinds[column.type]))) || 'text';
}

function operatorsFor(column, meta) {
  const ops = (column && meta && meta.operators && meta.operators[columnKind(column, meta)]) || [];
  const rank = op => { const i = OPERATOR_ORDER.indexOf(op); return i < 0 ? OPERATOR_ORDER.length : i; };
  return ops.slice().sort((a, b) => rank(a) - rank(b));
}

// Which editor a condition's value needs: none, text, choice, list, number, days, date or bool.
function valueShape(kind, operator) {
  if (!operator || NO_VALUE_OPS.includes(operator)) return 'none';
  if (operator === 'is_within_last' || operator === 'is_within_next') return 'days';
  if (LIST_VALUE_OPS.includes(operator)) return 'list';
  if (NUMBER_OPS.includes(operator)) return 'number';
  if (DATE_OPS.includes(operator) || (kind === 'date' && (operator === 'is' || operator === 'is_not'))) return 'date';
  if (kind === 'checkbox') return 'bool';
  if ((kind === 'single_select' || kind === 'pipeline') && (operator === 'is' || operator === 'is_not')) return 'choice';
  return 'text';
}

function isDateValue(v) {
  if (typeof v === 'string') return ISO_DAY_RE.test(v) || DAY_WORDS.includes(v);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    return keys.length === 1 && (keys[0] === 'days_ago' || keys[0] === 'days_from_now') && Number.isInteger(v[keys[0]]) && v[keys[0]] >= 0;
  }
  return false;
}

function defaultFilterValue(shape, prev) {
  switch (shape) {
    case 'none': return null;
    case 'bool': return typeof prev === 'boolean' ? prev : true;
    case 'days': return Number.isInteger(prev) && prev >= 0 ? prev : 30;
    case 'list': return Array.isArray(prev) ? prev : (typeof prev === 'string' && prev.trim() ? [prev] : []);
    case 'number': return typeof prev === 'number' ? prev : null;
    case 'date': return isDateValue(prev) ? prev : 'today';
    default: return typeof prev === 'string' ? prev : (Array.isArray(prev) && prev.length ? String(prev[0]) : null);
  }
}

function isFilterGroup(item) {
  return !!item && typeof item === 'object' && (Array.isArray(item.conditions) || ('op' in item && !('column_id' in item)));
}

function newCondition(column, meta) {
  if (!column) return { column_id: null, operator: null, value: null };
  const operator = operatorsFor(column, meta)[0] || null;
  return { column_id: column.id, operator, value: defaultFilterValue(valueShape(columnKind(column, meta), operator)) };
}

// Stable React keys for conditions without putting ids into the API value: a key follows an
// object through edits because every edit copies it onto the replacement (keepKey).
const filterKeys = new WeakMap();
let filterKeySeq = 0;
function filterKey(item) {
  let k = filterKeys.get(item);
  if (!k) { k = 'fk' + (++filterKeySeq); filterKeys.set(item, k); }
  return k;
}
function keepKey(from, to) { filterKeys.set(to, filterKey(from)); return to; }

// What is missing from one condition: null, or {at: "field" | "operator" | "value", message}.
function conditionCheck(cond, byId, meta) {
  const bad = (at, message) => ({ at, message });
  if (!cond.column_id) return bad('field', 'Choose a field.');
  const column = byId[cond.column_id];
  if (!column || column.archived_at) return bad('field', 'This field was deleted: choose another one.');
  if (!cond.operator || !operatorsFor(column, meta).includes(cond.operator)) return bad('operator', 'Choose a comparison.');
  const v = cond.value;
  const ok = {
    text: typeof v === 'string' && v.trim() ? null : 'Enter a value.',
    choice: typeof v === 'string' && v.trim() ? null : 'Choose an option.',
    list: Array.isArray(v) && v.length ? null : 'Pick at least one option.',
    number: typeof v === 'number' && isFinite(v) ? null : 'Enter a number.',
    days: Number.isInteger(v) && v >= 0 ? null : 'Enter a whole number of days.',
    date: isDateValue(v) ? null : (v && typeof v === 'object' ? 'Enter a whole number of days.' : 'Pick a date.'),
    bool: typeof v === 'boolean' ? null : 'Choose checked or unchecked.',
  }[valueShape(columnKind(column, meta), cond.operator)];
  return ok ? bad('value', ok) : null;
}

function conditionProblem(cond, byId, meta) {
  const p = conditionCheck(cond, byId, meta);
  return p ? p.message : null;
}

// The first thing that keeps a filter from being saved, as a sentence (null when it is complete).
function filterProblem(group, byId, meta) {
  if (!group || !Array.isArray(group.conditions) || !group.conditions.length) return 'Add at least one condition.';
  let bad = 0, emptyGroups = 0;
  const walk = g => g.conditions.forEach(item => {
    if (isFilterGroup(item)) { if (!item.conditions || !item.conditions.length) emptyGroups++; else walk(item); }
    else if (conditionProblem(item, byId, meta)) bad++;
  });
  walk(group);
  if (bad) return bad === 1 ? 'Finish or remove the highlighted condition.' : 'Finish or remove the ' + bad + ' highlighted conditions.';
  if (emptyGroups) return 'A condition group is empty: add a condition to it or remove it.';
  return null;
}

function todayIso() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}

/* ---------- formatting values for sentences ---------- */
const LIST_META = {
  main: { label: 'Main', icon: 'inbox', color: 'blue', desc: 'Active conversations' },
  follow_up: { label: 'Follow-up', icon: 'bell', color: 'yellow', desc: 'Gone quiet: needs a nudge' },
  graveyard: { label: 'Graveyard', icon: 'archive', color: 'gray', desc: 'Passed or out of this raise' },
  longshot: { label: 'Longshot', icon: 'target', color: 'purple', desc: 'Unlikely, but kept warm' },
};
function listLabel(name) { return (LIST_META[name] && LIST_META[name].label) || capitalize(String(name || '').replace(/_/g, ' ')); }

function columnChoices(column) {
  const cs = column && column.options && column.options.choices;
  return Array.isArray(cs) ? cs.filter(c => c && typeof c.name === 'string') : [];
}
function choiceColor(column, name) {
  const n = String(name).toLowerCase();
  const c = columnChoices(column).find(x => x.name.toLowerCase() === n);
  return c ? c.color : (column && column.field === 'list' && LIST_META[name] ? LIST_META[name].color : null);
}
function choiceLabel(column, name) { return column && column.field === 'list' ? listLabel(name) : String(name); }

// Formatters are costly to build and the grid formats thousands of cells: keep one per shape.
const numberFormats = new Map();
function numberFormat(precision) {
  const key = precision === null || precision === undefined ? 'auto' : precision;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(undefined, key === 'auto' ? { maximumFractionDigits: 6 } : { minimumFractionDigits: key, maximumFractionDigits: key });
    numberFormats.set(key, f);
  }
  return f;
}

// A number as its column shows it: "$1,250,000" (currency/fund, options.precision, default 0),
// "12.5%" (percent: a fraction), "1,234.5" (number); options.precision fixes the decimals.
function fmtNumberFor(column, n) {
  if (typeof n !== 'number' || !isFinite(n)) return String(n);
  const type = column && column.type;
  const opts = (column && column.options) || {};
  const precision = typeof opts.precision === 'number' ? opts.precision : null;
  if (type === 'percent') return numberFormat(precision).format(Number((n * 100).toPrecision(12))) + '%';
  const s = numberFormat(precision).format(Math.abs(n));
  if (type === 'currency' || type === 'fund' || opts.format === 'currency') return (n < 0 ? '−' : '') + (opts.symbol || '$') + s;
  return (n < 0 ? '−' : '') + s;
}

let dayFormat = null;
function fmtDay(iso) {
  const [y, m, d] = String(iso).slice(0, 10).split('-').map(Number);
  const dt = new Date(y, m - 1, d);
  if (isNaN(dt.getTime())) return String(iso);
  if (!dayFormat) dayFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
  return dayFormat.format(dt);
}

function fmtDateValue(v) {
  if (typeof v === 'string' && DAY_WORDS.includes(v)) return v;
  if (v && typeof v === 'object') {
    if ('days_ago' in v) return v.days_ago === 0 ? 'today' : plural(v.days_ago, 'day') + ' ago';
    if ('days_from_now' in v) return v.days_from_now === 0 ? 'today' : 'in ' + plural(v.days_from_now, 'day');
  }
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) return fmtDay(v);
  return String(v);
}

// A cell value (a run's old/new value, or a set_value rule's value) as short text.
function fmtCell(column, v) {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return null;
  if (typeof v === 'boolean') return v ? '✓ checked' : 'unchecked';
  if (typeof v === 'number') return fmtNumberFor(column, v);
  if (Array.isArray(v)) return v.map(x => (x && typeof x === 'object' ? x.name || x.email || '…' : choiceLabel(column, x))).join(', ');
  if (typeof v === 'object') return v.name || v.stage || v.error || JSON.stringify(v);
  if (column && column.type === 'date' && ISO_DAY_RE.test(v)) return fmtDay(v);
  if (column && (column.type === 'single_select' || column.field === 'list')) return choiceLabel(column, v);
  return String(v);
}

/* ---------- sentences: a list of parts rendered as text or as tokens ---------- */
// part kinds: field (a column name), op (operator words), val (a value token), txt (plain words),
// sep (punctuation glued to the previous part), group (nested parts in parentheses)
function valueParts(column, kind, operator, value, meta) {
  const shape = valueShape(kind, operator);
  const one = v => ({ k: 'val', text: shape === 'date' ? fmtDateValue(v) : (typeof v === 'number' ? fmtNumberFor(column, v) : choiceLabel(column, v)), color: choiceColor(column, v) });
  if (shape === 'none') return [];
  if (shape === 'days') return [{ k: 'val', text: plural(Number(value), 'day') }];
  if (shape === 'bool') return [{ k: 'val', text: value ? '✓ checked' : 'unchecked' }];
  if (shape === 'list') {
    const vals = Array.isArray(value) ? value : [];
    if (!vals.length) return [{ k: 'val', text: '…', empty: true }];
    const word = operator === 'has_all_of' || operator === 'is_exactly' ? 'and' : 'or';
    const out = [];
    vals.forEach((v, i) => {
      if (i > 0 && i === vals.length - 1) out.push({ k: 'txt', text: word });
      else if (i > 0) out.push({ k: 'sep', text: ',' });
      out.push(one(v));
    });
    return out;
  }
  if (value === null || value === undefined || value === '') return [{ k: 'val', text: '…', empty: true }];
  return [one(value)];
}

function conditionParts(cond, byId, meta) {
  const column = cond.column_id ? byId[cond.column_id] : null;
  if (!cond.column_id) return [{ k: 'field', text: 'a field', missing: true }];
  if (!column) return [{ k: 'field', text: 'a deleted field', missing: true }];
  const kind = columnKind(column, meta);
  const op = cond.operator ? (OPERATOR_PHRASES[cond.operator] || OPERATOR_LABELS[cond.operator] || cond.operator) : '…';
  return [{ k: 'field', text: column.name, missing: !!column.archived_at }, { k: 'op', text: op }, ...valueParts(column, kind, cond.operator, cond.value, meta)];
}

function groupParts(group, byId, meta) {
  const out = [];
  (group.conditions || []).forEach((item, i) => {
    if (i > 0) out.push({ k: 'conj', text: group.op === 'or' ? 'or' : 'and' });
    if (isFilterGroup(item)) {
      if (item.conditions && item.conditions.length) out.push({ k: 'group', parts: groupParts(item, byId, meta) });
    } else out.push(...conditionParts(item, byId, meta));
  });
  return out;
}

function actionParts(action, byId, meta) {
  if (!action) return [];
  if (action.type === 'move_to_list') {
    return action.list ? [{ k: 'txt', text: 'move to' }, { k: 'val', text: listLabel(action.list), color: LIST_META[action.list] ? LIST_META[action.list].color : null, list: true }]
      : [{ k: 'txt', text: 'move to' }, { k: 'val', text: 'a list', empty: true }];
  }
  if (action.type === 'set_value') {
    const column = action.column_id ? byId[action.column_id] : null;
    if (!column) return [{ k: 'txt', text: 'set' }, { k: 'field', text: action.column_id ? 'a deleted field' : 'a field', missing: true }];
    const text = fmtCell(column, action.value);
    if (text === null) return [{ k: 'txt', text: 'clear' }, { k: 'field', text: column.name, missing: !!column.archived_at }];
    const color = typeof action.value === 'string' ? choiceColor(column, action.value) : null;
    return [{ k: 'txt', text: 'set' }, { k: 'field', text: column.name, missing: !!column.archived_at }, { k: 'txt', text: 'to' }, { k: 'val', text, color }];
  }
  if (action.type === 'create_task') {
    const days = action.due_in_days;
    return [{ k: 'txt', text: 'create a task' }, { k: 'val', text: action.title ? '“' + action.title + '”' : 'a task', empty: !action.title },
      ...(days === null || days === undefined || days === '' ? [] : [{ k: 'txt', text: Number(days) === 0 ? 'due the same day' : 'due in ' + plural(Number(days), 'day') }])];
  }
  return [{ k: 'txt', text: String(action.type) }];
}

function partsText(parts) {
  return parts.reduce((s, p) => {
    const t = p.k === 'group' ? '(' + partsText(p.parts) + ')' : p.text;
    return s + (s && p.k !== 'sep' ? ' ' : '') + t;
  }, '');
}

function SentenceParts({ parts }) {
  return parts.map((p, i) => {
    const space = i > 0 && p.k !== 'sep' ? ' ' : null;
    let node;
    if (p.k === 'field') node = <span className={cx('s-field', p.missing && 'is-missing')}>{p.text}</span>;
    else if (p.k === 'val') node = <span className={cx('tok', p.color && 'cc-' + p.color, p.empty && 'is-empty')}>{p.color && <span className="cdot" />}{p.text}</span>;
    else if (p.k === 'group') node = <span className="s-group"><span className="s-paren">(</span><SentenceParts parts={p.parts} /><span className="s-paren">)</span></span>;
    else if (p.k === 'conj') node = <span className="s-conj">{p.text}</span>;
    else node = <span className="s-op">{p.text}</span>;
    return <React.Fragment key={i}>{space}{node}</React.Fragment>;
  });
}

// "When Status is Passed" / "→ move to Graveyard": the readable form of a rule.
function RuleSentence({ condition, action, byId, meta }) {
  const cond = groupParts(condition || { op: 'and', conditions: [] }, byId, meta);
  return (
    <div className="sentence">
      <div className="s-line"><span className="s-kw">When</span> {cond.length ? <SentenceParts parts={cond} /> : <span className="s-op">any investor changes</span>}</div>
      <div className="s-line s-then"><Icon name="arrow-right" className="s-arrow" /><SentenceParts parts={actionParts(action, byId, meta)} /></div>
    </div>
  );
}

/* ---------- FilterBuilder ----------
   <FilterBuilder columns={cols} meta={meta} value={group} onChange={setGroup} />
     columns    every column from GET /api/fundraising/columns (archived ones, if passed, only name
                deleted fields in existing conditions; they are never offered)
     meta       GET /api/fundraising/meta: type_kinds + operators decide what each column offers
     value      a filter group {op: "and"|"or", conditions: [{column_id, operator, value} | group]}
     onChange   called with the next group (API-shaped; incomplete rows keep null values)
     maxDepth   how deep groups may nest in the UI (default 3; the top-level group is depth 1)
     showErrors mark incomplete conditions (use filterProblem() to decide whether to save)
     label      accessible name of the whole builder */
let pendingFilterFocus = null;

function FilterBuilder({ columns, meta, value, onChange, maxDepth = 3, showErrors = false, label = 'Conditions' }) {
  const byId = useMemo(() => { const m = {}; (columns || []).forEach(c => { m[c.id] = c; }); return m; }, [columns]);
  const fields = useMemo(() => (columns || []).filter(c => !c.archived_at && operatorsFor(c, meta).length), [columns, meta]);
  const group = value && Array.isArray(value.conditions) ? value : { op: 'and', conditions: [] };
  const ctx = { byId, fields, meta, maxDepth, showErrors };
  return (
    <div className="fb" role="group" aria-label={label}>
      <FilterGroup group={group} depth={1} ctx={ctx} onChange={onChange} />
    </div>
  );
}

function FilterGroup({ group, depth, ctx, onChange, onRemove }) {
  const items = group.conditions || [];
  const conj = group.op === 'or' ? 'or' : 'and';
  const addRef = useRef(null);
  const setItems = next => onChange(keepKey(group, { ...group, op: conj, conditions: next }));
  const update = (i, next) => setItems(items.map((x, j) => (j === i ? keepKey(x, next) : x)));
  const remove = i => { setItems(items.filter((_, j) => j !== i)); setTimeout(() => addRef.current && addRef.current.focus(), 0); };
  const append = item => { pendingFilterFocus = filterKey(item); setItems([...items, item]); };
  const empty = ctx.showErrors && depth > 1 && items.length === 0;
  return (
    <div className={cx('fb-group', depth > 1 && 'is-nested', depth % 2 === 1 && depth > 1 && 'is-odd', empty && 'is-invalid')}
      role={depth > 1 ? 'group' : undefined} aria-label={depth > 1 ? 'Condition group' : undefined}>
      {depth > 1 && (
        <div className="fb-group-head">
          <span>{conj === 'and' ? 'All of these are true' : 'Any of these is true'}</span>
          <button type="button" className="icon-btn" onClick={onRemove} aria-label="Remove this condition group" title="Remove group"><Icon name="trash" /></button>
        </div>
      )}
      {items.length === 0 && (
        <div className="fb-empty">{depth === 1 ? 'No conditions yet: add one to choose which investors this applies to.' : 'This group is empty.'}</div>
      )}
      {items.map((item, i) => (
        <div className="fb-row" key={filterKey(item)}>
          <div className="fb-conj">
            {i === 0 ? <span>Where</span> : i === 1 ? (
              <select className="select fb-conj-select" value={conj} onChange={e => onChange(keepKey(group, { ...group, op: e.target.value }))}
                aria-label={depth > 1 ? 'Match all or any conditions in this group' : 'Match all or any conditions'}>
                <option value="and">and</option><option value="or">or</option>
              </select>
            ) : <span>{conj}</span>}
          </div>
          {isFilterGroup(item)
            ? <FilterGroup group={item} depth={depth + 1} ctx={ctx} onChange={next => update(i, next)} onRemove={() => remove(i)} />
            : <FilterCondition cond={item} ctx={ctx} onChange={next => update(i, next)} onRemove={() => remove(i)} />}
        </div>
      ))}
      <div className="fb-actions">
        <button type="button" ref={addRef} className="fb-add" onClick={() => append(newCondition(null, ctx.meta))}><Icon name="plus" />Add condition</button>
        {depth < ctx.maxDepth && (
          <button type="button" className="fb-add" onClick={() => append({ op: conj === 'and' ? 'or' : 'and', conditions: [newCondition(null, ctx.meta)] })}>
            <Icon name="layers" />Add condition group
          </button>
        )}
      </div>
    </div>
  );
}

function FilterCondition({ cond, ctx, onChange, onRemove }) {
  const { byId, fields, meta } = ctx;
  const column = cond.column_id ? byId[cond.column_id] : null;
  const kind = column ? columnKind(column, meta) : null;
  const ops = column ? operatorsFor(column, meta) : [];
  const shape = column ? valueShape(kind, cond.operator) : 'none';
  const problem = ctx.showErrors ? conditionCheck(cond, byId, meta) : null;
  const colRef = useRef(null);
  const key = filterKey(cond);
  useEffect(() => {
    if (pendingFilterFocus && pendingFilterFocus === key) { pendingFilterFocus = null; colRef.current && colRef.current.focus(); }
  }, [key]);
  const setColumn = id => {
    const col = byId[id];
    if (!col) return;
    const next = operatorsFor(col, meta);
    const operator = next.includes(cond.operator) ? cond.operator : (next[0] || null);
    onChange({ column_id: id, operator, value: defaultFilterValue(valueShape(columnKind(col, meta), operator)) });
  };
  const setOperator = op => {
    const same = valueShape(kind, op) === shape;
    onChange({ ...cond, operator: op, value: defaultFilterValue(valueShape(kind, op), same ? cond.value : (shape === 'choice' || shape === 'text' || shape === 'list' ? cond.value : undefined)) });
  };
  return (
    <div className={cx('fb-cond', problem && 'is-invalid')}>
      <div className="fb-line">
        <select ref={colRef} className="select fb-col" aria-label="Field" value={cond.column_id || ''} onChange={e => setColumn(e.target.value)}
          aria-invalid={problem && problem.at === 'field' ? 'true' : undefined}>
          {!column && <option value={cond.column_id || ''} disabled>{cond.column_id ? 'Deleted field' : 'Choose a field…'}</option>}
          {column && column.archived_at && <option value={column.id} disabled>{column.name} (deleted)</option>}
          {fields.map(c => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select>
        <select className="select fb-op" aria-label="Comparison" value={cond.operator || ''} disabled={!column} onChange={e => setOperator(e.target.value)}
          aria-invalid={problem && problem.at === 'operator' ? 'true' : undefined}>
          {(!column || !cond.operator) && <option value="" disabled>Comparison</option>}
          {column && cond.operator && !ops.includes(cond.operator) && <option value={cond.operator} disabled>{OPERATOR_LABELS[cond.operator] || cond.operator}</option>}
          {ops.map(op => <option key={op} value={op}>{OPERATOR_LABELS[op] || op}</option>)}
        </select>
        <div className="fb-val">
          {column && shape !== 'none' && <ValueInput column={column} shape={shape} value={cond.value} onChange={v => onChange({ ...cond, value: v })} invalid={!!problem && problem.at === 'value'} />}
        </div>
        <button type="button" className="icon-btn fb-remove" onClick={onRemove} aria-label="Remove condition" title="Remove condition"><Icon name="x" /></button>
      </div>
      {problem && <div className="field-error"><Icon name="alert-circle" />{problem.message}</div>}
    </div>
  );
}

/* ---------- value editors (conditions and "set a field") ---------- */
// shape: text | choice | list | number | days | date | day (an exact date only) | bool
function ValueInput({ column, shape, value, onChange, invalid, clearable }) {
  const aria = invalid ? 'true' : undefined;
  switch (shape) {
    case 'choice': return <ChoiceSelect column={column} value={value} onChange={onChange} clearable={clearable} aria-invalid={aria} />;
    case 'list': return columnChoices(column).length
      ? <ChoicePills column={column} value={value} onChange={onChange} invalid={invalid} />
      : <ListTextInput value={value} onChange={onChange} aria-invalid={aria} />;
    case 'number': {
      const input = <NumberInput value={value} onChange={onChange} percent={column.type === 'percent'} aria-label="Value" aria-invalid={aria}
        placeholder={column.type === 'currency' || column.type === 'fund' ? 'Amount' : 'Number'} />;
      return column.type === 'percent' ? <div className="input-suffix input-suffix-wide">{input}<span>%</span></div> : input;
    }
    case 'days': return <div className="input-suffix"><NumberInput value={value} onChange={onChange} integer aria-label="Number of days" aria-invalid={aria} /><span>days</span></div>;
    case 'date': return <DateValueInput value={value} onChange={onChange} invalid={invalid} />;
    case 'day': return <input className="input" type="date" aria-label="Date" value={typeof value === 'string' && ISO_DAY_RE.test(value) ? value : ''} onChange={e => onChange(e.target.value || null)} />;
    case 'bool': return (
      <div className="seg fb-bool" role="group" aria-label="Value">
        <button type="button" className={cx('seg-btn', value === true && 'is-on')} aria-pressed={value === true ? 'true' : 'false'} onClick={() => onChange(true)}><Icon name="check" />Checked</button>
        <button type="button" className={cx('seg-btn', value === false && 'is-on')} aria-pressed={value === false ? 'true' : 'false'} onClick={() => onChange(false)}>Unchecked</button>
      </div>
    );
    default: return <input className="input" aria-label="Value" placeholder={clearable ? 'Empty clears the field' : 'Enter a value'} value={typeof value === 'string' ? value : ''}
      onChange={e => onChange(e.target.value)} aria-invalid={aria} />;
  }
}

function ChoiceSelect({ column, value, onChange, clearable, ...rest }) {
  const choices = columnChoices(column);
  const has = value !== null && value !== undefined && value !== '';
  const known = choices.some(c => c.name === value);
  return (
    <select className="select" aria-label="Value" value={has ? value : ''} onChange={e => onChange(e.target.value === '' ? null : e.target.value)} {...rest}>
      <option value="" disabled={!clearable}>{clearable ? 'Empty (clear the field)' : 'Choose an option…'}</option>
      {has && !known && <option value={value}>{value}</option>}
      {choices.map(c => <option key={c.name} value={c.name}>{choiceLabel(column, c.name)}</option>)}
    </select>
  );
}

function ChoicePills({ column, value, onChange, invalid }) {
  const choices = columnChoices(column);
  const sel = Array.isArray(value) ? value : [];
  const all = [...choices, ...sel.filter(v => !choices.some(c => c.name === v)).map(v => ({ name: v, color: 'gray' }))];
  const toggle = name => onChange(sel.includes(name) ? sel.filter(x => x !== name) : [...sel, name]);
  return (
    <div className="choice-pills" role="group" aria-label="Values" aria-invalid={invalid ? 'true' : undefined}>
      {all.map(c => {
        const on = sel.includes(c.name);
        return (
          <button type="button" key={c.name} className={cx('choice-pill', 'cc-' + (c.color || 'gray'))} aria-pressed={on ? 'true' : 'false'} onClick={() => toggle(c.name)}>
            <span className="cdot" />{choiceLabel(column, c.name)}{on && <Icon name="check" strokeWidth={2.5} />}
          </button>
        );
      })}
    </div>
  );
}

// Free-text list (a column without choices): "a, b, c" <-> ["a", "b", "c"].
function ListTextInput({ value, onChange, ...rest }) {
  const toText = v => (Array.isArray(v) ? v.join(', ') : '');
  const [text, setText] = useState(() => toText(value));
  const last = useRef(value);
  useEffect(() => { if (value !== last.current) { last.current = value; setText(toText(value)); } }, [value]);
  const change = e => {
    setText(e.target.value);
    const next = e.target.value.split(',').map(s => s.trim()).filter(Boolean);
    last.current = next;
    onChange(next);
  };
  return <input className="input" aria-label="Values (comma-separated)" placeholder="Values, separated by commas" value={text} onChange={change} {...rest} />;
}

// Keeps what is typed ("1.", "$1m") while the value is a number or null; amounts read as a cell
// reads them (shared/cell_input.jsx: "$1m", "250k", "(5,000)"); percent columns are edited as
// 12.5 and stored as 0.125, like the grid stores them.
function NumberInput({ value, onChange, percent, integer, ...rest }) {
  const toText = v => (typeof v === 'number' && isFinite(v) ? String(percent ? Number((v * 100).toPrecision(12)) : v) : '');
  const [text, setText] = useState(() => toText(value));
  const [invalid, setInvalid] = useState(false);
  const last = useRef(value);
  useEffect(() => { if (value !== last.current) { last.current = value; setText(toText(value)); } }, [value]);
  const change = e => {
    const t = e.target.value;
    setText(t);
    let n;
    if (integer) { n = t.trim() === '' ? null : Number(t); if (n !== null && !isFinite(n)) n = null; }
    else {
      n = parseNumberInput(t.replace(/%\s*$/, ''), !!percent);
      if (n === undefined) { setInvalid(true); return; }  // not a number yet: the filter keeps its last value
    }
    setInvalid(false);
    last.current = n;
    onChange(n);
  };
  if (integer) {
    return <input className="input" type="number" inputMode="numeric" step={1} min={0} value={text} onChange={change} {...rest} />;
  }
  return <input className={cx('input', invalid && 'is-invalid')} type="text" inputMode="decimal" value={text} onChange={change} aria-invalid={invalid ? 'true' : undefined}
    title={invalid ? 'Enter an amount, like 1,000,000, $1m or 250k' : undefined} autoComplete="off" spellCheck="false" {...rest} />;
}

const DATE_MODES = [['exact', 'Exact date'], ['today', 'Today'], ['yesterday', 'Yesterday'], ['tomorrow', 'Tomorrow'],
  ['days_ago', 'Days ago…'], ['days_from_now', 'Days from now…']];

function dateMode(v) {
  if (v && typeof v === 'object') return 'days_ago' in v ? 'days_ago' : 'days_from_now';
  return DAY_WORDS.includes(v) ? v : 'exact';
}

function DateValueInput({ value, onChange, invalid }) {
  const mode = dateMode(value);
  const days = value && typeof value === 'object' ? value[mode] : null;
  const setMode = m => {
    if (m === 'exact') onChange(typeof value === 'string' && ISO_DAY_RE.test(value) ? value : todayIso());
    else if (m === 'days_ago' || m === 'days_from_now') onChange({ [m]: Number.isInteger(days) ? days : 30 });
    else onChange(m);
  };
  return (
    <div className="fb-date">
      <select className="select" aria-label="Date" value={mode} onChange={e => setMode(e.target.value)}>
        {DATE_MODES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
      </select>
      {mode === 'exact' && <input className="input" type="date" aria-label="Exact date" value={typeof value === 'string' && ISO_DAY_RE.test(value) ? value : ''}
        onChange={e => onChange(e.target.value || null)} aria-invalid={invalid ? 'true' : undefined} />}
      {(mode === 'days_ago' || mode === 'days_from_now') && (
        <div className="input-suffix">
          <NumberInput integer value={days} onChange={n => onChange({ [mode]: n })} aria-label="Number of days" aria-invalid={invalid ? 'true' : undefined} />
          <span>{mode === 'days_ago' ? 'days ago' : 'days from now'}</span>
        </div>
      )}
    </div>
  );
}
