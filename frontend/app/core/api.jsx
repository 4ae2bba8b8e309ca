/* ========================================================================
   API client
   ======================================================================== */
const TOKEN_KEY = 'vcrm.token';
const tokenStore = {
  get() { try { return window.localStorage.getItem(TOKEN_KEY); } catch (e) { return null; } },
  set(t) { try { window.localStorage.setItem(TOKEN_KEY, t); } catch (e) { /* private mode: session only */ } },
  clear() { try { window.localStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ } },
};

class ApiError extends Error {
  constructor(status, message, body, headers) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

const STATUS_TEXT = {
  400: 'The request was not valid.', 401: 'You need to sign in again.', 403: "You don't have permission to do that.",
  404: 'Not found.', 405: 'That action is not supported.', 409: 'That conflicts with existing data.', 413: 'That is too large.',
  415: 'Unsupported content type.', 422: 'That could not be processed.', 429: 'Too many requests. Try again shortly.',
  500: 'The server hit an unexpected error.', 502: 'The server is unreachable.', 503: 'The server is starting or unavailable.',
};

const authEvents = { onUnauthorized: null };

function capitalize(s) { s = String(s || ''); return s ? s[0].toUpperCase() + s.slice(1) : s; }

// A failed response as an ApiError (also used by apiUpload, which needs XMLHttpRequest for progress).
function apiFailure(status, data, headers, token, handle401) {
  let msg = data && data.error;
  if (msg && typeof msg === 'object') msg = msg.message || JSON.stringify(msg);
  const err = new ApiError(status, msg ? capitalize(msg) : (STATUS_TEXT[status] || 'Request failed (HTTP ' + status + ').'), data, headers);
  if (status === 401 && token && handle401 && authEvents.onUnauthorized) authEvents.onUnauthorized();
  return err;
}

// opts.body: JSON-encoded, or sent as is when it is a Blob/File/ArrayBuffer (opts.contentType);
// opts.signal aborts (the AbortError is rethrown); opts.as === 'blob' answers {blob, filename}.
async function api(path, opts = {}) {
  const { method = 'GET', body, auth = true, handle401 = true, contentType, signal, as } = opts;
  const raw = body instanceof Blob || body instanceof ArrayBuffer;
  const headers = { Accept: as === 'blob' ? '*/*' : 'application/json' };
  if (body !== undefined) headers['Content-Type'] = contentType || (raw ? 'application/octet-stream' : 'application/json');
  const token = auth ? tokenStore.get() : null;
  if (token) headers.Authorization = 'Bearer ' + token;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : raw ? body : JSON.stringify(body), signal, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Cannot reach the server. Check your connection and try again.');
  }
  if (res.ok && as === 'blob') return { blob: await res.blob(), filename: dispositionName(res.headers.get('Content-Disposition')) };
  let data = null;
  const text = await res.text();
  if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
  if (!res.ok) throw apiFailure(res.status, data, res.headers, token, handle401);
  return data;
}

function retryAfterSeconds(err) {
  const h = err && err.headers && err.headers.get && err.headers.get('Retry-After');
  if (h) {
    const n = parseInt(h, 10);
    if (!isNaN(n)) return Math.max(1, n);
    const d = Date.parse(h);
    if (!isNaN(d)) return Math.max(1, Math.ceil((d - Date.now()) / 1000));
  }
  const b = err && err.body && (err.body.retry_after || err.body.retry_after_seconds);
  return b ? Math.max(1, Math.ceil(b)) : 30;
}
