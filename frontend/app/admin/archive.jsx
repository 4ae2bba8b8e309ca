const ARCHIVE_PAGE = 50;
const ARCHIVE_SECTIONS = [
  { id: 'investors', title: 'Investors', icon: 'grid', restore: id => '/api/fundraising/rows/' + encodeURIComponent(id) + '/restore',
    empty: 'No archived investors.', sub: x => (x.merged_into ? 'Merged into ' + (x.merged_into.name || 'another investor') + (x.archived_by ? ' by ' + x.archived_by : '') : x.archived_by ? 'Archived by ' + x.archived_by : null) },
  { id: 'columns', title: 'Columns', icon: 'layers', restore: id => '/api/fundraising/columns/' + encodeURIComponent(id) + '/restore',
    empty: 'No archived columns.', sub: x => (TYPE_META[x.type] || { label: x.type }).label + ' · its values come back with it' },
  { id: 'views', title: 'Views', icon: 'eye', restore: id => '/api/fundraising/views/' + encodeURIComponent(id) + '/restore',
    empty: 'No archived views.', sub: x => (x.shared ? 'Shared view' : 'Personal view') },
  { id: 'automations', title: 'Automation rules', icon: 'zap', restore: id => '/api/fundraising/automations/' + encodeURIComponent(id) + '/restore',
    empty: 'No archived rules.', sub: () => 'Comes back turned off: review it, then switch it on' },
  { id: 'contacts', title: 'People', icon: 'users', restore: null,
    empty: 'No archived people.', sub: x => [x.email, x.investor_name && 'at ' + x.investor_name].filter(Boolean).join(' · ') || null },
];

function ArchiveSection({ section, items, query, busy, onRestore }) {
  const [limit, setLimit] = useState(ARCHIVE_PAGE);
  const q = query.trim().toLowerCase();
  const list = q ? items.filter(x => [x.name, x.email, x.investor_name].filter(Boolean).join(' ').toLowerCase().includes(q)) : items;
  const shown = list.slice(0, limit);
  return (
    <section className="card arc-section" aria-labelledby={'arc-' + section.id}>
      <div className="card-head">
        <span className="imp-head-icon"><Icon name={section.icon} /></span>
        <h2 id={'arc-' + section.id} className="spacer">{section.title} <span className="arc-count">{items.length.toLocaleString()}</span></h2>
        {section.id === 'contacts' && items.length > 0 && <span className="muted small arc-hint"><Icon name="info" />People come back by editing their investor’s contacts in the grid.</span>}
      </div>
      {list.length === 0 ? <div className="arc-empty">{q && items.length ? 'None match “' + query + '”.' : section.empty}</div> : (
        <ul className="arc-list">
          {shown.map(x => (
            <li key={x.id} className="arc-item">
              <div className="arc-main">
                <div className="arc-name">{x.name || <span className="faint">Unnamed</span>}</div>
                {section.sub(x) && <div className="arc-sub">{section.sub(x)}</div>}
              </div>
              <span className="arc-when">Archived <Time value={x.archived_at} /></span>
              {section.restore
                ? <Button size="sm" icon="rotate-ccw" pending={busy[x.id]} onClick={() => onRestore(section, x)} aria-label={'Restore ' + (x.name || section.title)}>Restore</Button>
                : <Button size="sm" variant="ghost" icon="grid" onClick={() => navigate('#/grid')} title="Open the grid and edit the investor’s contacts">Open the grid</Button>}
            </li>
          ))}
        </ul>
      )}
      {list.length > shown.length && (
        <div className="table-foot"><span>Showing {shown.length.toLocaleString()} of {list.length.toLocaleString()}</span><span className="spacer" />
          <Button size="sm" onClick={() => setLimit(l => l + ARCHIVE_PAGE * 4)}>Show more</Button></div>
      )}
    </section>
  );
}

function ArchiveTab() {
  const toast = useToast();
  const [state, reload, setState] = useAsync(() => api('/api/admin/archive').then(r => r.data || {}), []);
  const [query, setQuery] = useState('');
  const [busy, setBusy] = useState({});
  const d = state.data;
  const total = d ? ARCHIVE_SECTIONS.reduce((s, sec) => s + (d[sec.id] || []).length, 0) : 0;
  const restore = async (section, x) => {
    setBusy(b => ({ ...b, [x.id]: true }));
    try {
      await api(section.restore(x.id), { method: 'POST' });
      setState(s => ({ ...s, data: { ...s.data, [section.id]: (s.data[section.id] || []).filter(y => y.id !== x.id) } }));
      toast('Restored ' + (x.name ? '“' + x.name + '”' : 'the ' + section.title.toLowerCase().replace(/s$/, '')) + (section.id === 'automations' ? '. It is turned off until you enable it.' : '.'));
    } catch (err) {
      toast(err.status === 409 ? 'Couldn’t restore “' + x.name + '”: ' + err.message + (section.id === 'columns' ? ' Rename the live column first.' : '') : 'Couldn’t restore: ' + err.message, 'error');
    }
    setBusy(b => ({ ...b, [x.id]: false }));
  };
  return (
    <div>
      <div className="toolbar">
        <div>
          <div className="section-title">Archive</div>
          <div className="muted small">Nothing is ever deleted: archived investors, columns, views and rules wait here until someone restores them.</div>
        </div>
        <span className="spacer" />
        <div className="search"><Icon name="search" /><input className="input" placeholder="Filter by name" value={query} onChange={e => setQuery(e.target.value)} aria-label="Filter the archive" /></div>
        <Button size="sm" variant="ghost" icon="refresh" onClick={() => reload(true)} aria-label="Refresh" />
      </div>
      <LoadError error={state.error} onRetry={reload} />
      {!d ? <div className="card"><table className="table"><tbody><SkeletonRows cols={3} rows={4} /></tbody></table></div>
        : total === 0 ? <div className="card"><CenterState icon="archive" title="The archive is empty">When someone archives an investor, a column, a view or a rule, it shows up here with a Restore button.</CenterState></div>
        : (
          <div className="arc-grid">
            {ARCHIVE_SECTIONS.filter(sec => (d[sec.id] || []).length > 0).map(sec => (
              <ArchiveSection key={sec.id} section={sec} items={d[sec.id] || []} query={query} busy={busy} onRestore={restore} />
            ))}
            {ARCHIVE_SECTIONS.some(sec => !(d[sec.id] || []).length) && (
              <div className="arc-none muted small"><Icon name="check" />Nothing archived in {ARCHIVE_SECTIONS.filter(sec => !(d[sec.id] || []).length).map(s => s.title.toLowerCase()).join(', ')}.</div>
            )}
          </div>
        )}
    </div>
  );
}

/* ---------- Admin: activity ---------- */
