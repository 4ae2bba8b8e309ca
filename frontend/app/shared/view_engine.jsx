/* ---------- the view engine, in the browser (mirrors backend/grid/view_engine.py) ---------- */
const VE_GARBAGE = { garbage: true };
const VE_DAY_MS = 86400000;

function veEmptyOrGarbage(raw) {
  if (raw === null || raw === undefined || (Array.isArray(raw) && raw.length === 0) || (typeof raw === 'string' && !raw.trim())
    || (raw && typeof raw === 'object' && !Array.isArray(raw) && 'error' in raw)) return null;
  return VE_GARBAGE;
}
function veNumberText(n) { return Number.isInteger(n) ? String(n) : String(n); }
function veReadText(raw) {
  if (typeof raw === 'string') { const t = raw.trim(); return t ? t.toLowerCase() : null; }
  if (typeof raw === 'number') return veNumberText(raw);
  return veEmptyOrGarbage(raw);
}
// A pipeline cell (an opportunity) filters and sorts by its stage.
function veReadStage(raw) {
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && !('error' in raw)) return veReadText(raw.stage);
  return veEmptyOrGarbage(raw);
}
function veReadNumber(raw) {
  if (typeof raw === 'number') return isNaN(raw) ? VE_GARBAGE : raw;
  return veEmptyOrGarbage(raw);
}
// [UTC day number, seconds into the day] of an ISO date or date-time (naive means UTC).
function veParseWhen(text) {
  text = text.trim();
  if (text.length === 10) {
    if (!ISO_DAY_RE.test(text)) return null;
    const ms = Date.UTC(+text.slice(0, 4), +text.slice(5, 7) - 1, +text.slice(8, 10));
    return isNaN(ms) ? null : [Math.floor(ms / VE_DAY_MS), 0];
  }
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text)) return null;
  const d = toDate(text);
  if (!d) return null;
  const ms = d.getTime();
  const day = Math.floor(ms / VE_DAY_MS);
  return [day, (ms - day * VE_DAY_MS) / 1000];
}
function veDateReader(pick) {
  return raw => {
    if (typeof raw === 'string' && raw.trim()) { const w = veParseWhen(raw); return w ? pick(w) : VE_GARBAGE; }
    return veEmptyOrGarbage(raw);
  };
}
const veReadDay = veDateReader(w => w[0]);
const veReadInstant = veDateReader(w => w[0] * 86400 + w[1]);
function veReadBool(raw) {
  if (raw === true || raw === false) return raw;
  return veEmptyOrGarbage(raw) === null ? false : VE_GARBAGE;
}
function veReadItems(raw) {
  if (Array.isArray(raw)) { const items = raw.map(veReadText).filter(x => typeof x === 'string'); return items.length ? items : null; }
  if (typeof raw === 'string') { const t = veReadText(raw); return t ? [t] : null; }
  return veEmptyOrGarbage(raw);
}
function veReadContacts(raw) {
  if (Array.isArray(raw) && raw.length) {
    const out = [];
    raw.forEach(c => { if (c && typeof c === 'object' && !Array.isArray(c)) ['name', 'email', 'phone', 'title'].forEach(k => { const t = veReadText(c[k]); if (typeof t === 'string') out.push(t); }); });
    return out;
  }
  return veEmptyOrGarbage(raw);
}

class VeNeed extends Error {}
function veTextValue(v) {
  if (typeof v === 'string' && v.trim()) return v.trim();
  if (typeof v === 'number' && isFinite(v)) return veNumberText(v);
  throw new VeNeed('text');
}
function veTextList(v) {
  const items = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(items)) throw new VeNeed('list');
  const out = [], seen = new Set();
  items.forEach(it => {
    if (typeof it === 'string' && !it.trim()) return;
    const t = veTextValue(it);
    if (!seen.has(t.toLowerCase())) { seen.add(t.toLowerCase()); out.push(t); }
  });
  if (!out.length) throw new VeNeed('list');
  return out;
}
function veNumberValue(v, col) {
  if (typeof v === 'number' && isFinite(v)) return v;
  if (typeof v === 'string') { const n = parseNumberInput(v, false); if (typeof n === 'number') return n; if (col.type === 'percent' && /%\s*$/.test(v)) { const p = parseNumberInput(v, true); if (typeof p === 'number') return p; } }
  throw new VeNeed('number');
}
function veWholeDays(v) {
  if (typeof v === 'string' && /^\s*[0-9]{1,9}\s*$/.test(v)) v = parseInt(v, 10);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1000000) return v;
  throw new VeNeed('days');
}
function veDateValue(v) {
  if (typeof v === 'string') {
    const w = v.trim().toLowerCase();
    if (DAY_WORDS.includes(w)) return w;
    const when = v.trim() ? veParseWhen(v) : null;
    if (when) return { day: when[0] };
  } else if (v && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && (keys[0] === 'days_ago' || keys[0] === 'days_from_now')) return { [keys[0]]: veWholeDays(v[keys[0]]) };
  }
  throw new VeNeed('date');
}
function veDayOf(value, today) {
  if (typeof value === 'string') return today + { today: 0, yesterday: -1, tomorrow: 1 }[value];
  if ('day' in value) return value.day;
  if ('days_ago' in value) return today - value.days_ago;
  return today + value.days_from_now;
}
function veBoolValue(v) {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && ['true', 'false'].includes(v.trim().toLowerCase())) return v.trim().toLowerCase() === 'true';
  if (v === 0 || v === 1) return !!v;
  throw new VeNeed('bool');
}

// op: [parse(value, col) | null, make(parsed, today) -> test(cell), on_empty, on_garbage]
const veOp = (parse, make, onEmpty = false, onGarbage = false) => ({ parse, make, onEmpty, onGarbage });
const veNeg = op => veOp(op.parse, (v, t) => { const f = op.make(v, t); return c => !f(c); }, !op.onEmpty, !op.onGarbage);
const veFold = v => veReadText(v);
const VE_IS_EMPTY = veOp(null, () => () => false, true);
const VE_EMPTINESS = { is_empty: VE_IS_EMPTY, is_not_empty: veNeg(VE_IS_EMPTY) };
const VE_TEXT_IS = veOp(veTextValue, v => { const f = veFold(v); return c => c === f; });
const VE_TEXT_CONTAINS = veOp(veTextValue, v => { const f = veFold(v); return c => c.includes(f); });
const VE_TEXT_OPS = { is: VE_TEXT_IS, is_not: veNeg(VE_TEXT_IS), contains: VE_TEXT_CONTAINS, does_not_contain: veNeg(VE_TEXT_CONTAINS), ...VE_EMPTINESS };
const VE_ANY_OF = veOp(veTextList, vs => { const s = new Set(vs.map(veFold)); return c => s.has(c); });
const veCmp = rel => veOp(veNumberValue, v => c => rel(c, v));
const VE_NUM_EQ = veCmp((c, v) => c === v);
const VE_NUMBER_OPS = { '=': VE_NUM_EQ, '!=': veNeg(VE_NUM_EQ), '<': veCmp((c, v) => c < v), '>': veCmp((c, v) => c > v),
  '<=': veCmp((c, v) => c <= v), '>=': veCmp((c, v) => c >= v), ...VE_EMPTINESS };
const veDateCmp = rel => veOp(veDateValue, (v, today) => { const d = veDayOf(v, today); return c => rel(c, d); });
const VE_DATE_IS = veDateCmp((c, d) => c === d);
const veWithin = sign => veOp(veWholeDays, (days, today) => { const a = today, b = today + sign * days; const lo = Math.min(a, b), hi = Math.max(a, b); return c => c >= lo && c <= hi; });
const VE_DATE_OPS = { is: VE_DATE_IS, is_not: veNeg(VE_DATE_IS), is_before: veDateCmp((c, d) => c < d), is_after: veDateCmp((c, d) => c > d),
  is_on_or_before: veDateCmp((c, d) => c <= d), is_on_or_after: veDateCmp((c, d) => c >= d), is_within_last: veWithin(-1), is_within_next: veWithin(1), ...VE_EMPTINESS };
const VE_HAS_ANY = veOp(veTextList, vs => { const s = new Set(vs.map(veFold)); return items => items.some(i => s.has(i)); });
const VE_ITEM_CONTAINS = veOp(veTextValue, v => { const f = veFold(v); return items => items.some(i => i.includes(f)); });
const VE_MULTI_OPS = { has_any_of: VE_HAS_ANY, has_none_of: veNeg(VE_HAS_ANY),
  has_all_of: veOp(veTextList, vs => { const w = vs.map(veFold); return items => w.every(x => items.includes(x)); }),
  is_exactly: veOp(veTextList, vs => { const w = new Set(vs.map(veFold)); return items => { const s = new Set(items); return s.size === w.size && [...w].every(x => s.has(x)); }; }),
  contains: VE_ITEM_CONTAINS, does_not_contain: veNeg(VE_ITEM_CONTAINS), ...VE_EMPTINESS };

function veRanker(col) {
  const pos = new Map();
  columnChoices(col).forEach((c, i) => { const n = veReadText(c.name); if (typeof n === 'string' && !pos.has(n)) pos.set(n, i); });
  return item => (pos.has(item) ? [0, pos.get(item)] : [1, item]);
}
const VE_KINDS = {
  text: { read: veReadText, sortKey: () => veReadText, ops: VE_TEXT_OPS, aliases: { '=': 'is', equals: 'is', '!=': 'is_not' } },
  single_select: { read: veReadText, sortKey: col => { const r = veRanker(col); return raw => { const t = veReadText(raw); return typeof t === 'string' ? r(t) : t; }; },
    ops: { ...VE_TEXT_OPS, is_any_of: VE_ANY_OF, is_none_of: veNeg(VE_ANY_OF) }, aliases: { '=': 'is', equals: 'is', '!=': 'is_not' } },
  pipeline: { read: veReadStage, sortKey: col => { const r = veRanker(col); return raw => { const t = veReadStage(raw); return typeof t === 'string' ? r(t) : t; }; },
    ops: { ...VE_TEXT_OPS, is_any_of: VE_ANY_OF, is_none_of: veNeg(VE_ANY_OF) }, aliases: { '=': 'is', equals: 'is', '!=': 'is_not' } },
  number: { read: veReadNumber, sortKey: () => veReadNumber, ops: VE_NUMBER_OPS, aliases: { eq: '=', neq: '!=', lt: '<', gt: '>', lte: '<=', gte: '>=' } },
  date: { read: veReadDay, sortKey: () => veReadInstant, ops: VE_DATE_OPS, aliases: {} },
  checkbox: { read: veReadBool, sortKey: () => veReadBool, ops: { is: veOp(veBoolValue, v => c => c === v) }, aliases: {} },
  multi_select: { read: veReadItems, sortKey: col => { const r = veRanker(col); return raw => { const it = veReadItems(raw); return Array.isArray(it) ? it.map(r) : it; }; }, ops: VE_MULTI_OPS, aliases: {} },
  contacts: { read: veReadContacts, sortKey: () => raw => {
    if (Array.isArray(raw) && raw.length) { if (!raw[0] || typeof raw[0] !== 'object') return VE_GARBAGE; const n = veReadText(raw[0].name); return typeof n === 'string' ? n : ''; }
    return veEmptyOrGarbage(raw);
  }, ops: Object.fromEntries(['contains', 'does_not_contain', 'is_empty', 'is_not_empty'].map(k => [k, VE_MULTI_OPS[k]])), aliases: {} },
};
const VE_FORMULA_KINDS = ['number', 'checkbox', 'text', 'multi_select', 'date'];
function veKindNames(col) { const k = col.kind || 'text'; return k === 'formula' ? VE_FORMULA_KINDS : [VE_KINDS[k] ? k : 'text']; }
function veCanonical(kind, operator) {
  if (typeof operator !== 'string') return null;
  let name = operator.trim().toLowerCase().replace(/[\s-]+/g, '_');
  name = VE_KINDS[kind].aliases[name] || name;
  return VE_KINDS[kind].ops[name] ? name : null;
}
function veCellTest(kindName, op, value, today) {
  const read = VE_KINDS[kindName].read, test = op.make(value, today);
  return raw => { const c = read(raw); if (c === null) return op.onEmpty; if (c === VE_GARBAGE) return op.onGarbage; return test(c); };
}
function veConditionTest(col, operator, value, today) {
  const tests = {};
  for (const k of veKindNames(col)) {
    const name = veCanonical(k, operator);
    if (!name) continue;
    const op = VE_KINDS[k].ops[name];
    try { tests[k] = veCellTest(k, op, op.parse ? op.parse(value, col) : null, today); } catch (e) { if (!(e instanceof VeNeed)) throw e; }
  }
  const keys = Object.keys(tests);
  if (!keys.length) return null;
  const primary = tests[keys[0]];
  if (keys.length === 1) return primary;
  return raw => {
    if (typeof raw === 'number') return (tests.number || primary)(raw);
    if (typeof raw === 'boolean') return (tests.checkbox || primary)(raw);
    if (Array.isArray(raw)) return (tests.multi_select || primary)(raw);
    if (typeof raw === 'string') return (tests.text || tests.date || primary)(raw);
    return primary(raw);
  };
}
function veCompileGroup(group, byId, today, depth) {
  if (!group || typeof group !== 'object' || depth > 6) return null;
  const items = group.conditions;
  if (!Array.isArray(items) || !items.length) return () => true;
  const tests = [];
  items.forEach(item => {
    if (!item || typeof item !== 'object') return;
    let t = null;
    if (isFilterGroup(item)) t = veCompileGroup(item, byId, today, depth + 1);
    else {
      const col = typeof item.column_id === 'string' ? byId[item.column_id] : null;
      const ct = col ? veConditionTest(col, item.operator, item.value, today) : null;
      if (ct) { const id = item.column_id; t = values => ct(values[id]); }
    }
    if (t) tests.push(t);
  });
  if (!tests.length) return null;
  if (tests.length === 1) return tests[0];
  if (String(group.op).trim().toLowerCase() === 'or') return v => tests.some(t => t(v));
  return v => tests.every(t => t(v));
}
function veToday() { return Math.floor(Date.now() / VE_DAY_MS); }
function compileViewFilter(group, byId) { return veCompileGroup(group, byId, veToday(), 1) || (() => true); }

function veCompare(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) { const c = veCompare(a[i], b[i]); if (c) return c; }
    return a.length - b.length;
  }
  if (typeof a === 'boolean') a = a ? 1 : 0;
  if (typeof b === 'boolean') b = b ? 1 : 0;
  return a < b ? -1 : a > b ? 1 : 0;
}
function veFormulaKey(raw) {
  const kinds = [[v => typeof v === 'number', veReadNumber], [v => typeof v === 'string', veReadText], [v => typeof v === 'boolean', veReadBool], [Array.isArray, veReadItems]];
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i][0](raw)) { const v = kinds[i][1](raw); return v !== null && v !== VE_GARBAGE ? [i, v] : v; }
  }
  return veEmptyOrGarbage(raw);
}
// Sorted copy of rows ({values}) by [{column_id, direction}]: valid values in the direction asked,
// then garbage, then empties, whatever the direction; stable.
function sortViewRows(rows, sort, byId) {
  const keys = (sort || []).map(k => {
    const col = byId[k.column_id];
    if (!col) return null;
    const read = (col.kind || 'text') === 'formula' ? veFormulaKey : (VE_KINDS[col.kind] || VE_KINDS.text).sortKey(col);
    return { id: col.id, read, desc: String(k.direction).toLowerCase() === 'desc' };
  }).filter(Boolean);
  if (!keys.length) return rows;
  const decorated = rows.map((row, i) => ({ row, i, k: keys.map(k => k.read(row.values[k.id])) }));
  decorated.sort((x, y) => {
    for (let j = 0; j < keys.length; j++) {
      const a = x.k[j], b = y.k[j];
      const ca = a === null ? 2 : a === VE_GARBAGE ? 1 : 0, cb = b === null ? 2 : b === VE_GARBAGE ? 1 : 0;
      if (ca !== cb) return ca - cb;
      if (ca === 0) { const c = veCompare(a, b); if (c) return keys[j].desc ? -c : c; }
    }
    return x.i - y.i;
  });
  return decorated.map(d => d.row);
}

// Only complete conditions reach the server (and the evaluator); drafts keep the rest.
function cleanFilter(group, byId, meta) {
  if (!group || !Array.isArray(group.conditions)) return { op: 'and', conditions: [] };
  const conditions = [];
  group.conditions.forEach(item => {
    if (isFilterGroup(item)) { const g = cleanFilter(item, byId, meta); if (g.conditions.length) conditions.push(g); }
    else if (!conditionProblem(item, byId, meta)) conditions.push({ column_id: item.column_id, operator: item.operator, value: item.value });
  });
  return { op: group.op === 'or' ? 'or' : 'and', conditions };
}
function countConditions(group) {
  if (!group || !Array.isArray(group.conditions)) return 0;
  return group.conditions.reduce((n, item) => n + (isFilterGroup(item) ? countConditions(item) : 1), 0);
}
function filterColumnIds(group, out = new Set()) {
  ((group && group.conditions) || []).forEach(item => { if (isFilterGroup(item)) filterColumnIds(item, out); else if (item.column_id) out.add(item.column_id); });
  return out;
}
