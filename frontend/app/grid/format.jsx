/* ========================================================================
   Fundraising grid: the screen partners live in. One row per investor, typed columns, saved
   views evaluated in the browser (same semantics as backend/grid/view_engine.py; the server's
   /views/{id}/rows is the reference), a virtualised canvas (rows and columns), spreadsheet keys,
   live updates from the change feed, presence, conflicts.
   ======================================================================== */
const GRID_ROW_H = 34;
// A view's row height: pixels and the lines of a note it shows.
const ROW_HEIGHTS = { short: { h: GRID_ROW_H, lines: 1, label: 'Short' }, medium: { h: 56, lines: 2, label: 'Medium' }, tall: { h: 92, lines: 4, label: 'Tall' } };
const GRID_HEAD_H = 36;
const GRID_FOOT_H = 34;
const GRID_GUTTER = 64;   // row-number column; widens for 4- and 5-digit row numbers (gridGutter)
const GRID_ADDCOL_W = 56;
const GRID_OVERSCAN = 8;
const GRID_COL_OVERSCAN = 1;
const GRID_MIN_COL_W = 64;
const ADD_ROW_ID = '__add__';
const GRID_MAX_BATCH = 5000;   // rows per batch PATCH (backend/grid/store.py MAX_BATCH)

const TYPE_META = {
  text: { label: 'Single line text', icon: 'type', width: 180, hint: 'A short piece of text' },
  long_text: { label: 'Long text', icon: 'align-left', width: 260, hint: 'Notes, paragraphs' },
  number: { label: 'Number', icon: 'hash', width: 130, hint: 'Counts, scores' },
  currency: { label: 'Currency', icon: 'dollar', width: 150, hint: 'An amount of money' },
  percent: { label: 'Percent', icon: 'percent', width: 110, hint: '12.5% stored as 0.125' },
  date: { label: 'Date', icon: 'calendar', width: 140, hint: 'A day, optionally a time' },
  checkbox: { label: 'Checkbox', icon: 'check-square', width: 104, hint: 'Yes or no' },
  single_select: { label: 'Single select', icon: 'select', width: 160, hint: 'One option from a list' },
  multi_select: { label: 'Multiple select', icon: 'tags', width: 210, hint: 'Several options' },
  email: { label: 'Email', icon: 'at', width: 210, hint: 'An email address' },
  url: { label: 'URL', icon: 'link', width: 210, hint: 'A web address' },
  phone: { label: 'Phone number', icon: 'phone', width: 150, hint: 'A phone number' },
  contacts: { label: 'Contacts', icon: 'users', width: 230, hint: 'The people of an investor' },
  fund: { label: 'Fund', icon: 'landmark', width: 150, hint: 'A fund: commitments per investor' },
  pipeline: { label: 'Pipeline stage', icon: 'kanban', width: 200, hint: 'A fund’s pipeline: stage and expected amount, the board’s cards' },
  formula: { label: 'Formula', icon: 'function', width: 170, hint: 'Computed, Airtable syntax' },
  created_time: { label: 'Created time', icon: 'clock', width: 170, hint: 'When the row was added' },
  last_modified_time: { label: 'Last modified time', icon: 'clock', width: 170, hint: 'When it last changed' },
  last_modified_by: { label: 'Last modified by', icon: 'user', width: 160, hint: 'Who last changed it' },
  // Relationship signals, computed from captured mail (who wrote when; never what was written).
  last_inbound: { label: 'Last email from them', icon: 'mail', width: 170, hint: 'When they last wrote to the team' },
  last_outbound: { label: 'Last email to them', icon: 'mail', width: 170, hint: 'When the team last wrote to them' },
  touches_90d: { label: 'Emails, 90 days', icon: 'hash', width: 130, hint: 'Emails either way in the last 90 days' },
  knows_best: { label: 'Knows them best', icon: 'user', width: 170, hint: 'Who on the team emails them most, recently' },
  relationship_strength: { label: 'Relationship strength', icon: 'zap', width: 170, hint: 'From how often, how recently and both ways' },
};
const NUMERIC_TYPES = ['number', 'currency', 'percent', 'fund'];
const MONEY_TYPES = ['currency', 'fund'];
const TEXTLIKE_TYPES = ['text', 'email', 'url', 'phone'];
const PEER_COLORS = ['#e11d48', '#0891b2', '#7c3aed', '#ea580c', '#16a34a', '#db2777', '#2563eb', '#ca8a04'];

function typeMeta(col) { return TYPE_META[col && col.type] || TYPE_META.text; }
function colWidth(col, overrides) {
  const w = overrides && overrides[col.id];
  if (w) return w;
  if (col.width) return col.width;
  return col.primary ? 240 : typeMeta(col).width;
}
function isEditable(col, meta) { return !!col && col.editable !== false && !((meta && meta.computed_types) || []).includes(col.type); }
function peerColor(id) { return PEER_COLORS[hashStr(String(id || '')) % PEER_COLORS.length]; }
function isNumericCol(col) { return NUMERIC_TYPES.includes(col.type) || col.type === 'touches_90d' || (col.type === 'formula' && col.kind === 'number'); }
function isEmptyValue(v) { return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0); }
function isErrorValue(v) { return !!v && typeof v === 'object' && !Array.isArray(v) && typeof v.error === 'string'; }
function sameValue(a, b) {
  if (isEmptyValue(a) && isEmptyValue(b)) return true;
  if (a === b) return true;
  try { return JSON.stringify(a) === JSON.stringify(b); } catch (e) { return false; }
}

/* ---------- formatting a cell as text (display, clipboard, search) ---------- */
const dayFmtCache = new Map();
function fmtDateTime(v) {
  const d = toDate(v);
  if (!d) return String(v);
  let f = dayFmtCache.get('dt');
  if (!f) { f = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }); dayFmtCache.set('dt', f); }
  return f.format(d);
}

// Money shows the cents it has ($12,500.50) and whole amounts without them ($50,000): a money
// column's precision 0 (the default) is "no decimals unless there are cents"; a higher one is fixed.
const centsColumns = new WeakMap();
function moneyColumn(col, v) {
  const precision = col.options && col.options.precision;
  if (precision > 0 || Math.round(Math.abs(v) * 100) % 100 === 0) return col;
  let cents = centsColumns.get(col);
  if (!cents) { cents = { ...col, options: { ...col.options, precision: 2 } }; centsColumns.set(col, cents); }
  return cents;
}

// The text of one cell as people read it: "$1,250,000", "$12,500.50", "12.5%", "Nov 5, 2026", "Meeting".
function cellText(col, v) {
  if (v === null || v === undefined || v === '') return '';
  if (isErrorValue(v)) return v.error;
  const t = col.type;
  if (typeof v === 'number') {
    // A formula over money (options.format "currency", set by the server) reads as money.
    if (t === 'formula' ? col.options && col.options.format !== 'currency' : !NUMERIC_TYPES.includes(t)) return fmtNumberFor(null, v);
    return fmtNumberFor(MONEY_TYPES.includes(t) || t === 'formula' ? moneyColumn(col, v) : col, v);
  }
  if (typeof v === 'boolean') return t === 'checkbox' ? (v ? 'checked' : '') : (v ? 'true' : 'false');
  if (Array.isArray(v)) {
    return v.map(x => (x && typeof x === 'object' ? (x.name || x.email || '') : choiceLabel(col, x))).filter(Boolean).join(', ');
  }
  if (t === 'pipeline') return typeof v === 'object' ? v.stage || '' : String(v);
  if (typeof v === 'object') return v.name || v.email || '';
  if (t === 'date') return col.options && col.options.include_time ? fmtDateTime(v) : (ISO_DAY_RE.test(v) ? fmtDay(v) : fmtDateTime(v));
  if (t === 'created_time' || t === 'last_modified_time' || t === 'last_inbound' || t === 'last_outbound') return fmtDateTime(v);
  if (t === 'formula' && col.kind === 'date') return /T00:00:00(\.000)?Z$/.test(v) ? fmtDay(v.slice(0, 10)) : fmtDateTime(v);
  if (t === 'single_select' || t === 'relationship_strength') return choiceLabel(col, v);
  return String(v);
}

// What a copied cell puts on the clipboard: readable, and parsed back by the server on paste.
function cellClipText(col, v) {
  if (v === null || v === undefined) return '';
  if (col.type === 'date' && typeof v === 'string' && !(col.options && col.options.include_time)) return v.slice(0, 10);
  if (col.type === 'contacts' && Array.isArray(v)) return v.map(p => (p.name && p.email ? p.name + ' <' + p.email + '>' : p.name || p.email || '')).filter(Boolean).join(', ');
  if (col.type === 'checkbox') return v ? 'checked' : '';
  if (col.type === 'long_text' || col.type === 'text') return String(v);
  return cellText(col, v);
}

/* ---------- TSV (Excel, Google Sheets, Numbers) ---------- */
function tsvField(s) {
  s = String(s === null || s === undefined ? '' : s);
  return /[\t\n\r"]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}
function toTSV(rows) { return rows.map(r => r.map(tsvField).join('\t')).join('\n'); }
function parseTSV(text) {
  const out = [];
  let row = [], field = '', i = 0, quoted = false;
  const s = String(text || '').replace(/\r\n?/g, '\n');
  while (i < s.length) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"') { if (s[i + 1] === '"') { field += '"'; i += 2; continue; } quoted = false; i++; continue; }
      field += ch; i++; continue;
    }
    if (ch === '"' && field === '') { quoted = true; i++; continue; }
    if (ch === '\t') { row.push(field); field = ''; i++; continue; }
    if (ch === '\n') { row.push(field); out.push(row); row = []; field = ''; i++; continue; }
    field += ch; i++;
  }
  if (field !== '' || row.length) { row.push(field); out.push(row); }
  return out;
}

// "Ann Lee <ann@x.com>, Bo" -> [{name: "Ann Lee", email: "ann@x.com"}, {name: "Bo"}]
function parsePeopleText(text) {
  return String(text || '').split(/[,;\n]/).map(s => s.trim()).filter(Boolean).map(s => {
    const m = /^(.*?)\s*<([^>]+)>$/.exec(s);
    if (m) return { name: m[1].trim() || null, email: m[2].trim() };
    return EMAIL_RE.test(s) ? { email: s } : { name: s };
  });
}

// What the cell editor starts with when a value is edited (raw, not formatted).
function editText(col, v) {
  if (v === null || v === undefined) return '';
  if (col.type === 'percent' && typeof v === 'number') return String(Number((v * 100).toPrecision(12)));
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' ? v : '';
}
