/* ========================================================================
   Time: ISO-8601 UTC in, local time out
   ======================================================================== */
function toDate(v) {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') return new Date(v < 1e12 ? v * 1000 : v);
  let s = String(v).trim();
  // A timestamp without a zone designator is UTC by contract; make JS read it that way.
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s = s.replace(' ', 'T') + 'Z';
  const d = new Date(s);
  return isNaN(d.getTime()) ? null : d;
}

function fmtAbs(v) {
  const d = toDate(v);
  if (!d) return '—';
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleString(undefined, { year: sameYear ? undefined : 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

function fmtFull(v) {
  const d = toDate(v);
  if (!d) return '';
  return d.toLocaleString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'short' }) + '  ·  ' + d.toISOString();
}

function fmtRel(v, now) {
  const d = toDate(v);
  if (!d) return '—';
  now = now || Date.now();
  const diff = (d.getTime() - now) / 1000;
  const abs = Math.abs(diff);
  const fut = diff > 0;
  const say = (n, unit) => (fut ? 'in ' + n + ' ' + unit : n + ' ' + unit + ' ago');
  if (abs < 45) return 'just now';
  if (abs < 3600) return say(Math.max(1, Math.round(abs / 60)), 'min');
  if (abs < 86400) { const h = Math.round(abs / 3600); return say(h, h === 1 ? 'hour' : 'hours'); }
  const days = Math.round(abs / 86400);
  if (days === 1) return fut ? 'tomorrow' : 'yesterday';
  if (days < 14) return say(days, 'days');
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return d.toLocaleDateString(undefined, { year: sameYear ? undefined : 'numeric', month: 'short', day: 'numeric' });
}

const NowContext = createContext(Date.now());
function NowProvider({ children }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => { const t = setInterval(() => setNow(Date.now()), 30000); return () => clearInterval(t); }, []);
  return <NowContext.Provider value={now}>{children}</NowContext.Provider>;
}

function Time({ value, rel = true, fallback = '—' }) {
  useContext(NowContext); // re-render every 30 s
  const now = Date.now();
  if (!toDate(value)) return <span className="faint">{fallback}</span>;
  return <time dateTime={String(value)} title={fmtFull(value)} className="nowrap">{rel ? fmtRel(value, now) : fmtAbs(value)}</time>;
}
