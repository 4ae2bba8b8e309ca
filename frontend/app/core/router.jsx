/* ========================================================================
   Hash router: #/path?query
   ======================================================================== */
function parseHash() {
  const raw = (window.location.hash || '').replace(/^#/, '');
  const qi = raw.indexOf('?');
  let path = (qi >= 0 ? raw.slice(0, qi) : raw).replace(/\/+$/, '');
  if (!path.startsWith('/')) path = '/' + path;
  const query = {};
  if (qi >= 0) new URLSearchParams(raw.slice(qi + 1)).forEach((v, k) => { query[k] = v; });
  return { path, query, hash: '#' + raw };
}

function useRoute() {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

function navigate(to, replace) {
  if (replace) {
    window.history.replaceState(null, '', to);
    window.dispatchEvent(new Event('hashchange'));
  } else if (window.location.hash !== to) {
    window.location.hash = to;
  }
}
