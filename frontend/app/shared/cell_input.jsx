/* ---------- what a person types into a cell, as the server reads it ----------
   Numbers ("$1,250,000", "1.5m", "(5,000)", "12.5%") and dates ("6/14/2026", "2026-06-14",
   "June 14", "tomorrow", "+7d", "friday"...). These mirror backend/grid/column_types.py
   (parse_number, parse_date_text) rule for rule; tests/test_column_types.py runs one table of
   cases through both (tests/frontend/cell_input_parity.js), so the preview a person sees is the
   value the server stores. ---------- */

// Shorthand people type for tickets and targets: 250k, 1.5m, 2b.
const NUMBER_SCALES = { k: 1e3, m: 1e6, b: 1e9 };

// A typed number as the grid stores it (percent columns are typed in percent): undefined when it
// does not read as a number, so the server can say why.
function parseNumberInput(text, percent) {
  let t = String(text === null || text === undefined ? '' : text).trim();
  if (!t) return null;
  let neg = false;
  if (/^\(.*\)$/.test(t)) { neg = true; t = t.slice(1, -1); }
  const pct = t.endsWith('%');
  if (pct) t = t.slice(0, -1);
  t = t.replace(/[\s,$€£¥]|USD|EUR|GBP/gi, '');
  const scale = !pct && /^[+-]?(\d+\.?\d*|\.\d+)[kmb]$/i.test(t) ? NUMBER_SCALES[t.slice(-1).toLowerCase()] : 1;
  if (scale !== 1) t = t.slice(0, -1);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return undefined;
  let v = Number(t);
  if (scale !== 1) v = Number((v * scale).toPrecision(15));
  if (!isFinite(v)) return undefined;
  if (neg) v = -v;
  if (percent) return Number((v / 100).toPrecision(15));
  if (pct) return undefined;
  return v;
}

const DATE_MIN_YEAR = 1900, DATE_MAX_YEAR = 2200;
const DI_TIME = '(?:,?\\s+(?:at\\s+)?(\\d{1,2})(?::(\\d{2})(?::(\\d{2}))?)?\\s*([ap]\\.?m\\.?)?)?$';
const DI_US = new RegExp('^(\\d{1,2})([/-])(\\d{1,2})(?:\\2(\\d{4}|\\d{2}))?' + DI_TIME);
const DI_MONTH = new RegExp('^(?:[a-z]{3,9}\\.?,?\\s+)??([a-z]{3,9})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:,?\\s+(\\d{4}))?' + DI_TIME);
const DI_DAY_MONTH = new RegExp('^(\\d{1,2})(?:st|nd|rd|th)?\\s+([a-z]{3,9})\\.?(?:,?\\s+(\\d{4}))?' + DI_TIME);
const DI_UNIT = '(d|days?|w|wks?|weeks?|m|mos?|months?|y|yrs?|years?)';
const DI_OFFSET = new RegExp('^([+-])\\s*(\\d{1,4})\\s*' + DI_UNIT + '$');
const DI_IN = new RegExp('^in\\s+(\\d{1,4})\\s+' + DI_UNIT + '$');
const DI_AGO = new RegExp('^(\\d{1,4})\\s+' + DI_UNIT + '\\s+ago$');
const DI_NEXT_LAST = /^(next|last)\s+(week|month|year)$/;
const DI_WEEKDAY = /^(?:(next|this|last)\s+)?([a-z]{3,9})$/;
const DI_RELATIVE = new RegExp('^(today|now|tomorrow|yesterday)' + DI_TIME);
const DI_ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)? ?(z|[+-]\d{2}:?\d{2})?)?$/;
const DI_MONTHS = {};
['january jan', 'february feb', 'march mar', 'april apr', 'may', 'june jun', 'july jul', 'august aug',
  'september sep sept', 'october oct', 'november nov', 'december dec'].forEach((names, i) => names.split(' ').forEach(n => { DI_MONTHS[n] = i + 1; }));
const DI_WEEKDAYS = {};  // Monday = 0, as Python's date.weekday()
['monday mon', 'tuesday tue tues', 'wednesday wed', 'thursday thu thur thurs', 'friday fri', 'saturday sat', 'sunday sun']
  .forEach((names, i) => names.split(' ').forEach(n => { DI_WEEKDAYS[n] = i; }));
const DI_UNITS = { d: 'day', day: 'day', days: 'day', w: 'week', wk: 'week', wks: 'week', week: 'week', weeks: 'week',
  m: 'month', mo: 'month', mos: 'month', month: 'month', months: 'month', y: 'year', yr: 'year', yrs: 'year', year: 'year', years: 'year' };

// Days as {y, m, d} civil dates (UTC arithmetic, so no time zone moves them).
function diDay(y, m, d) {
  if (!(m >= 1 && m <= 12) || !(d >= 1) || d > diMonthLength(y, m) || y < 1 || y > 9999) throw new RangeError('date');
  return { y, m, d };
}
function diLeap(y) { return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0; }
function diMonthLength(y, m) { return [31, diLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]; }
function diOrdinal(day) { const t = new Date(0); t.setUTCFullYear(day.y, day.m - 1, day.d); return Math.round(t.getTime() / 86400000); }
function diFromOrdinal(n) { const t = new Date(n * 86400000); return diDay(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()); }
function diWeekday(day) { return (diOrdinal(day) % 7 + 10) % 7; }  // 1970-01-01 was a Thursday (3)
function diAddDays(day, n) { return diFromOrdinal(diOrdinal(day) + n); }
function diAddMonths(day, n) {
  const index = day.y * 12 + day.m - 1 + n;
  const y = Math.floor(index / 12), m = index - y * 12 + 1;
  if (y < 1 || y > 9999) throw new RangeError('date');
  return diDay(y, m, Math.min(day.d, diMonthLength(y, m)));
}
function diMoved(today, amount, unit) {
  if (unit === 'day') return diAddDays(today, amount);
  if (unit === 'week') return diAddDays(today, amount * 7);
  return diAddMonths(today, amount * (unit === 'year' ? 12 : 1));
}

function diRelative(text, today) {
  let m = DI_OFFSET.exec(text);
  if (m) return diMoved(today, Number(m[2]) * (m[1] === '-' ? -1 : 1), DI_UNITS[m[3]]);
  m = DI_IN.exec(text) || DI_AGO.exec(text);
  if (m) return diMoved(today, Number(m[1]) * (text.endsWith('ago') ? -1 : 1), DI_UNITS[m[2]]);
  m = DI_NEXT_LAST.exec(text);
  if (m) return diMoved(today, m[1] === 'next' ? 1 : -1, m[2]);
  m = DI_WEEKDAY.exec(text);
  if (m && Object.prototype.hasOwnProperty.call(DI_WEEKDAYS, m[2])) {
    const target = DI_WEEKDAYS[m[2]], wd = diWeekday(today);
    if (m[1] === 'last') return diAddDays(today, -((((wd - target - 1) % 7) + 7) % 7 + 1));
    return diAddDays(today, (((target - wd - 1) % 7) + 7) % 7 + 1);
  }
  return null;
}

function diClock(hour, minute, second, meridiem) {
  if (hour === undefined) return null;
  if (minute === undefined && !meridiem) throw new RangeError('a bare hour');
  let h = Number(hour); const mi = Number(minute || 0), s = Number(second || 0);
  const mer = (meridiem || '').replace(/\./g, '');
  if (mer) { if (!(h >= 1 && h <= 12)) throw new RangeError('hour'); h = h % 12 + (mer === 'pm' ? 12 : 0); }
  if (h > 23 || mi > 59 || s > 59) throw new RangeError('time');
  return { h, mi, s };
}

function diIso(text) {
  const m = DI_ISO.exec(text);
  if (!m) return null;
  const day = diDay(Number(m[1]), Number(m[2]), Number(m[3]));
  if (m[4] === undefined) return { day };
  const clock = { h: Number(m[4]), mi: Number(m[5]), s: Number(m[6] || 0) };
  if (clock.h > 23 || clock.mi > 59 || clock.s > 59) throw new RangeError('time');
  const ms = Number(((m[7] || '0') + '000000').slice(0, 6)) / 1000;
  let offset = 0;  // minutes east of UTC
  if (m[8] && m[8] !== 'z') {
    const hh = Number(m[8].slice(1, 3)), mm = Number(m[8].slice(-2));
    if (hh > 23 || mm > 59) throw new RangeError('offset');
    offset = (hh * 60 + mm) * (m[8][0] === '-' ? -1 : 1);
  }
  // An explicit instant: kept as UTC, as the server keeps it.
  const t = new Date(0);
  t.setUTCFullYear(day.y, day.m - 1, day.d);
  t.setUTCHours(clock.h, clock.mi - offset, clock.s, ms);
  return { instant: t };
}

/* The text typed into a date cell, read as the server reads it, or null when it is not a date.
   `today` is {y, m, d} (the person's own day). The answer: {day: {y, m, d}} for a day,
   {day, clock: {h, mi, s}} for a day and a wall-clock time, {instant: Date} for an ISO time with
   a zone, or {now: true}. */
function parseDateText(text, today) {
  const low = String(text || '').trim().toLowerCase().split(/\s+/).join(' ');
  if (!low) return null;
  try {
    const iso = diIso(low);  // first: the form the server and exports use (no other form reads as ISO)
    if (iso) return iso;
    let m = DI_RELATIVE.exec(low);
    if (m) {
      const clock = diClock(m[2], m[3], m[4], m[5]);
      if (m[1] === 'now' && !clock) return { now: true, day: today };
      const day = diAddDays(today, { today: 0, now: 0, tomorrow: 1, yesterday: -1 }[m[1]]);
      return clock ? { day, clock } : { day };
    }
    const rel = diRelative(low, today);
    if (rel) return { day: rel };
    let month, dom, year, clock;
    m = DI_US.exec(low);
    if (m) {
      month = Number(m[1]); dom = Number(m[3]); year = m[4]; clock = diClock(m[5], m[6], m[7], m[8]);
    } else {
      let name;
      m = DI_MONTH.exec(low);
      if (m) { name = m[1]; dom = Number(m[2]); year = m[3]; }
      else {
        m = DI_DAY_MONTH.exec(low);
        if (!m) return null;
        dom = Number(m[1]); name = m[2]; year = m[3];
      }
      if (!Object.prototype.hasOwnProperty.call(DI_MONTHS, name)) return null;
      month = DI_MONTHS[name];
      clock = diClock(m[4], m[5], m[6], m[7]);
    }
    // Two-digit years as the server reads them: 00-68 are 2000-2068, 69-99 are 1969-1999.
    const y = year === undefined ? today.y : year.length === 2 ? Number(year) + (Number(year) <= 68 ? 2000 : 1900) : Number(year);
    const day = diDay(y, month, dom);
    return clock ? { day, clock } : { day };
  } catch (e) {
    if (e instanceof RangeError) return null;
    throw e;
  }
}

function diPad(n, w) { return String(n).padStart(w || 2, '0'); }
function diIsoDay(day) { return diPad(day.y, 4) + '-' + diPad(day.m) + '-' + diPad(day.d); }
function localToday() { const t = new Date(); return { y: t.getFullYear(), m: t.getMonth() + 1, d: t.getDate() }; }

/* A date cell's input, resolved to what would be stored: {value, label, day} or {error} (`day`:
   the person's calendar day of it). Date
   columns store YYYY-MM-DD; date-time columns an ISO instant, a typed wall-clock time being the
   person's own (local) time. `today` defaults to the person's day. */
function readDateInput(text, withTime, today) {
  if (!String(text || '').trim()) return { value: null, label: '' };
  const p = parseDateText(text, today || localToday());
  if (!p) return { error: 'Not a date. Try 6/14/2026, 2026-06-14, June 14, tomorrow or +7d.' };
  const day = p.instant ? { y: p.instant.getUTCFullYear(), m: p.instant.getUTCMonth() + 1, d: p.instant.getUTCDate() } : p.day;
  if (day.y < DATE_MIN_YEAR || day.y > DATE_MAX_YEAR) return { error: 'The year ' + diPad(day.y, 4) + ' is outside ' + DATE_MIN_YEAR + '–' + DATE_MAX_YEAR + '.' };
  if (!withTime) {
    return { value: diIsoDay(day), day, label: new Date(day.y, day.m - 1, day.d).toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' }) };
  }
  const c = p.clock || { h: 0, mi: 0, s: 0 };
  const instant = p.instant || (p.now ? new Date() : new Date(day.y, day.m - 1, day.d, c.h, c.mi, c.s));
  return { value: instant.toISOString(), day: { y: instant.getFullYear(), m: instant.getMonth() + 1, d: instant.getDate() },
    label: instant.toLocaleString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }) };
}
