/* ========================================================================
   Settings -> Search (admins): the search index's state, and a rebuild with its progress
   ======================================================================== */
function SearchIndexTab() {
  const toast = useToast();
  const [st, reload] = useAsync(() => api('/api/admin/search/status').then(r => r.data), []);
  const [confirm, setConfirm] = useState(false);
  const s = st.data;
  // `running` is true from the request on (a rebuild asked for counts), so the server's word is
  // enough: a rebuild that ends before the first look simply reads as up to date.
  const busy = !!(s && (s.running || s.rebuild));
  useEffect(() => {  // while it works, look again every 1.5 s
    if (!busy) return undefined;
    const t = setTimeout(() => reload(true), 1500);
    return () => clearTimeout(t);
  }, [busy, s]); // eslint-disable-line react-hooks/exhaustive-deps
  const rebuild = async () => {
    await api('/api/admin/search/rebuild', { method: 'POST' });
    toast('Rebuilding the search index. Search keeps working meanwhile.');
    reload(true);
  };
  if (st.loading && !s) return <div className="card si-card"><div className="si-body"><span className="sk sk-w60" /></div></div>;
  if (st.error && !s) return <LoadError error={st.error} onRetry={() => reload()} />;
  const progress = s.rebuild && s.rebuild.total ? Math.min(100, Math.round(100 * s.rebuild.done / s.rebuild.total)) : null;
  return (
    <div className="stack-24 si-tab">
      <div className="card si-card">
        <div className="card-head">
          <span className="imp-head-icon"><Icon name="search" /></span>
          <div className="spacer"><h2>Search index</h2><p>Notes, mail, the interaction log and long-text cells, indexed on this box for the search box (/ or {MOD_KEY}-K) and Communications.</p></div>
          {s.mode === 'hybrid' ? <Pill tone="indigo" dot>Hybrid: keywords + meaning</Pill> : <Pill tone="gray" dot>Keywords only</Pill>}
        </div>
        <div className="si-body">
          <dl className="si-stats">
            <div><dt>Chunks</dt><dd data-stat="chunks">{(s.chunks || 0).toLocaleString()}</dd></div>
            <div><dt>In the index</dt><dd data-stat="indexed">{(s.indexed || 0).toLocaleString()}</dd></div>
            <div><dt>Waiting</dt><dd data-stat="pending">{(s.pending || 0).toLocaleString()}</dd></div>
            <div><dt>Stored</dt><dd>{s.location === 'server' ? 'Qdrant server' : 'On this box'}</dd></div>
          </dl>
          {progress !== null && (
            <div className="si-progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={progress} aria-label="Rebuild progress">
              <div className="si-bar"><span style={{ width: progress + '%' }} /></div>
              <span>{'Rebuilding: ' + s.rebuild.done.toLocaleString() + ' of ' + s.rebuild.total.toLocaleString() + ' sources'}</span>
            </div>
          )}
          {!busy && s.pending === 0 && !s.last_error && <div className="si-ok"><Icon name="check-circle" /><span>Up to date: everything written so far can be found.</span></div>}
          {s.last_error && <Callout tone="warn" title="The indexer reported a problem">{s.last_error}</Callout>}
          {s.mode !== 'hybrid' && <p className="si-note">Set <code>CRM_LLM_BASE_URL</code> (the box’s own model) to add search by meaning; the index is rebuilt for it by itself.</p>}
          {s.location !== 'server' && (s.chunks || 0) > 20000 && <Callout tone="info" title="A big index">Past about 20,000 chunks, a Qdrant server (<code>CRM_QDRANT_URL</code>) keeps search by meaning fast.</Callout>}
          <div className="si-actions">
            <Button icon="refresh" pending={busy} disabled={busy} onClick={() => setConfirm(true)}>{busy ? 'Indexing…' : 'Rebuild the index'}</Button>
            <span className="si-note">Also from the box: <code>python -m backend.search rebuild</code></span>
          </div>
        </div>
      </div>
      {confirm && <ConfirmDialog title="Rebuild the search index?" danger={false} confirmLabel="Rebuild"
        body="Everything is read and indexed again in the background. Search keeps answering meanwhile; nothing is lost."
        onConfirm={rebuild} onClose={() => setConfirm(false)} />}
    </div>
  );
}
