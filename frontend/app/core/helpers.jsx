/* Venture CRM: browser app shell.
   Compiled in the browser by the loader below (Babel, preset "react") and cached in
   localStorage under vcrm.jsx.<hash of this text>; a reload runs the cached JS without Babel.
   Rules: no inline style attributes in static HTML, no eval, no dangerouslySetInnerHTML. */
window.__vcrmStarted = true;

const { useState, useEffect, useLayoutEffect, useRef, useCallback, useMemo, useContext, createContext, useId } = React;

/* ========================================================================
   Small helpers
   ======================================================================== */
const cx = (...parts) => parts.filter(Boolean).join(' ');

function hashStr(s) {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}

function initials(name) {
  const s = String(name || '?').replace(/[@].*$/, '').split(/[\s._-]+/).filter(w => /[\p{L}\p{N}]/u.test(w));
  if (!s.length) return '?';
  if (s.length === 1) return s[0].slice(0, 1);
  return s[0][0] + s[1][0];
}

// Money at a glance: "$2.5M", "$750K", "$1.2B", "$900" (cards, chart labels, totals).
function fmtMoneyShort(n, symbol = '$') {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  const a = Math.abs(n), sign = n < 0 ? '-' : '';
  const [d, u] = a >= 1e9 ? [1e9, 'B'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'K'] : [1, ''];
  const v = a / d, text = u ? (v >= 100 ? Math.round(v) : Math.round(v * 10) / 10).toLocaleString('en-US') : Math.round(v).toLocaleString('en-US');
  return sign + symbol + text + u;
}

function plural(n, one, many) { return (typeof n === 'number' ? n.toLocaleString() : n) + ' ' + (n === 1 ? one : (many || one + 's')); }

function genPassword(len = 20) {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const buf = new Uint32Array(len);
  window.crypto.getRandomValues(buf);
  let out = '';
  for (let i = 0; i < len; i++) out += alphabet[buf[i] % alphabet.length];
  return out.replace(/(.{5})(?!$)/g, '$1-');
}

const MIN_PASSWORD = 8;
// The modifier key's name on this platform, for hints: ⌘ on Apple devices, Ctrl elsewhere.
const MOD_KEY = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent || '') ? '⌘' : 'Ctrl';

// The server's rule (backend/validation.py EMAIL_RE), so a form never sends what it refuses.
const EMAIL_RE = /^[^@\s<>"',;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const USERNAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/;

function validateAccount(f, { needEmail = true } = {}) {
  const errs = {};
  if (!f.username.trim()) errs.username = 'Choose a username.';
  else if (!USERNAME_RE.test(f.username.trim())) errs.username = '2–64 characters: letters, digits, dot, dash or underscore.';
  if (needEmail && !EMAIL_RE.test(f.email.trim())) errs.email = 'Enter a valid email address.';
  if (f.password.length < MIN_PASSWORD) errs.password = 'Use at least ' + MIN_PASSWORD + ' characters.';
  if (f.confirm !== undefined && f.confirm !== f.password) errs.confirm = "Passwords don't match.";
  return errs;
}

// Whether a CSS media query matches now, following changes (phone layouts).
function useMediaQuery(query) {
  const get = () => typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(query).matches : false;
  const [matches, setMatches] = useState(get);
  useEffect(() => {
    if (!window.matchMedia) return undefined;
    const mq = window.matchMedia(query), on = () => setMatches(mq.matches);
    on();
    mq.addEventListener ? mq.addEventListener('change', on) : mq.addListener(on);
    return () => (mq.removeEventListener ? mq.removeEventListener('change', on) : mq.removeListener(on));
  }, [query]);
  return matches;
}
