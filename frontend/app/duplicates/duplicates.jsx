/* ========================================================================
   Duplicates: investors that are likely the same one (GET /api/fundraising/duplicates, ranked by
   the intake's matcher), each with its score and reasons; Dismiss keeps a pair away, Review opens
   the side-by-side merge (POST .../merge-preview): per field, keep one side's value (or both for
   long text); commitments and opportunities that conflict are marked. Merge answers the survivor
   and a toast with Undo (POST .../unmerge). #/duplicates?a=<merged>&b=<survivor> is the review.
   ======================================================================== */
const DUP_PAGE = 50;

function dupText(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) return v.map(p => (p && typeof p === 'object') ? (p.name || p.email || '') : String(p)).filter(Boolean).join(', ') || '—';
  if (typeof v === 'object') {
    if (v.stage) return v.stage + (v.expected_amount ? ' · ' + Number(v.expected_amount).toLocaleString() : '');
    return JSON.stringify(v);
  }
  if (typeof v === 'number') return v.toLocaleString();
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  return String(v);
}

function DupScore({ score }) {
  const pct = Math.round(score * 100);
  return <span className={cx('dup-score', pct >= 90 ? 'high' : pct >= 70 ? 'mid' : 'low')} title={'Match score ' + pct + '%'}>{pct}%</span>;
}

// How far the whole comparison is: investors compared of all, as a bar (the list below, if any, is
// what was found before it began).
function DupProgress({ progress, shown }) {
  const total = (progress && progress.total) || 0, done = (progress && progress.done) || 0;
  const pct = total ? Math.min(100, Math.round(done / total * 100)) : 0;
  return (
    <div className="card dup-progress" role="progressbar" aria-label="Comparing investors" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div className="dup-progress-head">
        <Icon name="refresh" />
        <strong>{total ? 'Comparing ' + total.toLocaleString() + ' investors' : 'Reading the grid'}</strong>
        <span className="spacer" />
        <span className="dup-progress-count">{total ? done.toLocaleString() + ' done · ' + pct + '%' : ''}</span>
      </div>
      <div className="si-bar"><span style={{ width: pct + '%' }} /></div>
      <p>{shown ? 'Showing the pairs found before; the list refreshes by itself when this is done.' : 'The list fills in by itself when this is done.'}</p>
    </div>
  );
}

function DuplicatesList() {
  const toast = useToast();
  const [state, load, setState] = usePagedList('/api/fundraising/duplicates', DUP_PAGE);
  const [busy, setBusy] = useState({});
  const ready = !state.reply || state.reply.ready !== false;
  // While the grid is compared as a whole (after a start or a restore), ask again until it is done.
  useEffect(() => {
    if (ready || state.loading) return undefined;
    const timer = setTimeout(() => load(0), 1500);
    return () => clearTimeout(timer);
  }, [ready, state.loading, load]);
  const dismiss = async (pair) => {
    setBusy(b => ({ ...b, [pair.a + pair.b]: true }));
    try {
      await api('/api/fundraising/duplicates/dismiss', { method: 'POST', body: { a: pair.a, b: pair.b } });
      setState(s => ({ ...s, items: s.items.filter(p => p !== pair), total: Math.max(0, s.total - 1) }));
      toast('Not duplicates: ' + (pair.a_name || 'this pair') + ' and ' + (pair.b_name || 'that one') + ' won’t be suggested again', 'success', {
        action: { label: 'Undo', run: async () => {
          try { await api('/api/fundraising/duplicates/undismiss', { method: 'POST', body: { a: pair.a, b: pair.b } }); load(0); }
          catch (err) { toast('Couldn’t undo: ' + err.message, 'error'); }
        } } });
    } catch (err) { toast('Couldn’t dismiss: ' + err.message, 'error'); }
    setBusy(b => ({ ...b, [pair.a + pair.b]: false }));
  };
  return (
    <div className="page dup-page">
      <div className="page-head">
        <div>
          <h1>Duplicates</h1>
          <p>Investors that look like the same one: a name but for a legal suffix, a nickname, a person’s email, an organisation’s domain. Review a pair to merge it, or dismiss it.</p>
        </div>
        <Button size="sm" variant="ghost" icon="refresh" onClick={() => load(0)} aria-label="Refresh the list" title="Refresh" />
      </div>
      {state.error && <Callout tone="error" title="Couldn’t load the duplicates">{state.error.message}</Callout>}
      {!ready && <DupProgress progress={state.reply.progress} shown={state.items.length > 0} />}
      <div className="card dup-card">
        {state.loading && state.total === null ? <div className="dup-empty"><Spinner /></div>
          : !state.items.length ? (ready
            ? <div className="dup-empty"><StateIcon icon="check-circle" tone="green" /><p>No likely duplicates. New ones show up here as rows come in.</p></div>
            : <div className="dup-empty"><Spinner /><p>Looking for duplicates…</p></div>)
          : (
            <ul className="dup-list" aria-label="Likely duplicate pairs">
              {state.items.map(pair => (
                <li key={pair.a + pair.b} className="dup-item">
                  <DupScore score={pair.score} />
                  <div className="dup-names">
                    <div className="dup-pair"><strong>{pair.a_name || 'Untitled'}</strong><span className="dup-and">and</span><strong>{pair.b_name || 'Untitled'}</strong></div>
                    <div className="dup-reasons">{(pair.reasons || []).join(' · ')}</div>
                  </div>
                  <div className="dup-actions">
                    <Button size="sm" variant="ghost" pending={!!busy[pair.a + pair.b]} onClick={() => dismiss(pair)}>Dismiss</Button>
                    <Button size="sm" variant="primary" onClick={() => { const into = pair.into || pair.b; const away = into === pair.a ? pair.b : pair.a; navigate('#/duplicates?a=' + encodeURIComponent(away) + '&b=' + encodeURIComponent(into)); }}>Review</Button>
                  </div>
                </li>
              ))}
            </ul>
          )}
        <PagedFoot state={state} load={load} />
      </div>
    </div>
  );
}

function DuplicateReview({ a, b }) {
  const toast = useToast();
  const [pair, setPair] = useState({ merged: a, survivor: b });
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const [choices, setChoices] = useState({});
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState(null);
  const load = useCallback(async () => {
    setState(s => ({ ...s, loading: true, error: null }));
    try {
      const r = await api('/api/fundraising/rows/' + encodeURIComponent(pair.merged) + '/merge-preview', { method: 'POST', body: { into: pair.survivor } });
      const data = r.data;
      setChoices(Object.fromEntries(data.fields.map(f => [f.column_id, f.default])));
      setState({ loading: false, data, error: null });
    } catch (err) { setState({ loading: false, data: null, error: err }); }
  }, [pair]);
  useEffect(() => { load(); }, [load]);
  const merge = async () => {
    setPending(true); setProblem(null);
    try {
      const r = await api('/api/fundraising/rows/' + encodeURIComponent(pair.merged) + '/merge', { method: 'POST', body: { into: pair.survivor, choices, expected_versions: state.data.versions } });
      const mergedName = state.data.a.name || 'the investor';
      navigate('#/duplicates', true);
      toast('Merged ' + mergedName + ' into ' + (state.data.b.name || 'the other'), 'success', {
        action: { label: 'Undo', run: async () => {
          try {
            const u = await api('/api/fundraising/rows/' + encodeURIComponent(pair.merged) + '/unmerge', { method: 'POST' });
            const kept = (u.data.kept || []).map(k => k.column);
            toast(kept.length ? 'Unmerged; kept the newer ' + kept.join(', ') : 'Unmerged: both investors are back', 'success');
          } catch (err) { toast('Couldn’t unmerge: ' + err.message, 'error'); }
        } } });
      return r;
    } catch (err) {
      setProblem(err);
      if (err.status === 409) load();
    }
    setPending(false);
  };
  const d = state.data;
  return (
    <div className="page dup-page">
      <div className="page-head">
        <div>
          <h1>Review a merge</h1>
          <p>Pick what the merged investor keeps. The one on the left is archived and points at the one on the right; its people, notes, touches, mail, tasks and opportunities move over. Undo puts both back.</p>
        </div>
        <div className="dup-head-actions">
          <Button size="sm" variant="ghost" icon="chevron-left" onClick={() => navigate('#/duplicates')}>All duplicates</Button>
          <Button size="sm" variant="secondary" onClick={() => setPair(p => ({ merged: p.survivor, survivor: p.merged }))}>Swap sides</Button>
        </div>
      </div>
      {state.error && <Callout tone="error" title="Couldn’t prepare the merge">{state.error.message}</Callout>}
      {problem && <Callout tone="error" title={problem.status === 409 ? 'Changed since you looked' : 'Couldn’t merge'}>{problem.message}{problem.status === 409 ? ' The review below is up to date now.' : ''}</Callout>}
      {state.loading && !d ? <div className="card dup-empty"><Spinner /></div> : d && (
        <div className="card dup-review">
          <div className="dup-grid dup-grid-head" role="row">
            <span role="columnheader">Field</span>
            <span role="columnheader">Merge away: <strong>{d.a.name || 'Untitled'}</strong></span>
            <span role="columnheader">Keep: <strong>{d.b.name || 'Untitled'}</strong></span>
          </div>
          <div role="table" aria-label="Fields of both investors">
            {d.fields.filter(f => !(f.a === null && f.b === null)).map(f => (
              <div key={f.column_id} role="row" className={cx('dup-grid', f.conflict && 'conflict')}>
                <span className="dup-field" role="cell">{f.name}{f.conflict && <Pill tone={f.kind === 'cell' ? 'yellow' : 'red'}>{f.kind === 'cell' ? 'differs' : 'conflict'}</Pill>}</span>
                {['a', 'b'].map(side => (
                  <label key={side} role="cell" className={cx('dup-choice', choices[f.column_id] === side && 'on')}>
                    <input type="radio" name={'dup-' + f.column_id} checked={choices[f.column_id] === side} onChange={() => setChoices(c => ({ ...c, [f.column_id]: side }))} disabled={f.same} />
                    <span>{dupText(f[side])}</span>
                  </label>
                ))}
                {f.choices.includes('both') && f.conflict && (
                  <label className={cx('dup-choice dup-both', choices[f.column_id] === 'both' && 'on')}>
                    <input type="radio" name={'dup-' + f.column_id} checked={choices[f.column_id] === 'both'} onChange={() => setChoices(c => ({ ...c, [f.column_id]: 'both' }))} />
                    <span>Keep both</span>
                  </label>
                )}
              </div>
            ))}
          </div>
          <div className="dup-summary">
            <p><strong>People:</strong> {d.people.moving.length ? plural(d.people.moving.length, 'person', 'people') + (d.people.moving.length === 1 ? ' moves' : ' move') + ' over (' + d.people.moving.map(p => p.name || p.email).join(', ') + ')' : 'nobody new'}
              {d.people.already_there.length ? '; ' + d.people.already_there.length + ' already there' : ''}.</p>
            <p><strong>Touches:</strong> {plural(d.interactions, 'interaction')} {d.interactions === 1 ? 'moves' : 'move'} over, with mail links and tasks.</p>
          </div>
          <div className="dup-foot">
            <Button variant="ghost" onClick={() => navigate('#/duplicates')}>Cancel</Button>
            <Button variant="primary" pending={pending} onClick={merge}>Merge</Button>
          </div>
        </div>
      )}
    </div>
  );
}

function DuplicatesPage({ route }) {
  usePageTitle('Duplicates');
  const { a, b } = route.query || {};
  return a && b ? <DuplicateReview key={a + b} a={a} b={b} /> : <DuplicatesList />;
}

registerScreen({ path: '/duplicates', label: 'Duplicates', icon: 'copy', title: 'Duplicates', Page: DuplicatesPage, parent: '/grid', order: 16 });

// The investor panel's hint (grid/panel.jsx): its best likely duplicate, with Review.
function DuplicateHint({ investorId }) {
  const [pair, setPair] = useState(null);
  useEffect(() => {
    let live = true;
    setPair(null);
    api('/api/fundraising/duplicates?limit=1&investor_id=' + encodeURIComponent(investorId))
      .then(r => { if (live) setPair((r.data || [])[0] || null); }).catch(() => {});
    return () => { live = false; };
  }, [investorId]);
  if (!pair) return null;
  const other = pair.a === investorId ? { id: pair.b, name: pair.b_name } : { id: pair.a, name: pair.a_name };
  return (
    <div className="panel-dup-hint" role="note">
      <Icon name="users" />
      <span>Possible duplicate: <strong>{other.name || 'Untitled'}</strong> ({Math.round(pair.score * 100)}%)</span>
      <a href={'#/duplicates?a=' + encodeURIComponent(investorId) + '&b=' + encodeURIComponent(other.id)}>Review</a>
    </div>
  );
}
