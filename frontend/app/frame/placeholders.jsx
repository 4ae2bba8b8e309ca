/* ========================================================================
   Placeholder pages: what is coming and what works today; no sample figures
   ======================================================================== */
const PLACEHOLDERS = {
  grid: {
    title: 'Fundraising grid', icon: 'grid', lede: 'Every investor and every fund in one fast, typed table: the home of your raise.',
    heading: 'Investors × funds, with commitments',
    intro: 'One row per investor (family office, fund of funds, endowment, person); one column per fund holding that investor\u2019s commitment.',
    points: [
      ['Typed columns', ': currency, percent, dates, single and multi select, contacts, checkboxes, links.'],
      ['Formulas', ' in Airtable\u2019s syntax, computed by the server with dependency tracking.'],
      ['Saved views', ' with nested AND/OR filters, sorts and hidden columns, personal or shared.'],
      ['Live collaboration', ': see who is editing, changes arrive without a reload, conflicting edits never overwrite.'],
      ['CSV import and export', ' with type inference, idempotent re-imports and full cell history.'],
    ],
  },
  settings: {
    title: 'Settings', icon: 'sliders', lede: 'Connect mail, schedule backups and manage integrations.',
    heading: 'Workspace configuration',
    intro: 'Everything that connects Venture CRM to the outside world, configured in one place and stored on this server.',
    points: [
      ['SMTP', ' for invitations and the digest (or the settings your host provides).'],
      ['Digest', ': recipients, day and time, and what it includes.'],
      ['Backups', ': schedule and retention, with one-click verify and restore.'],
      ['Integrations', ': Gmail capture, the Matrix intake bot and a local language model endpoint.'],
    ],
  },
};

// What a coming screen will do, and what works today: no sample figures, which a first look
// would read as the fund's own (and which would contradict the real grid).
const PLACEHOLDER_TODAY = {
};

function PlaceholderPage({ kind, user }) {
  const p = PLACEHOLDERS[kind];
  usePageTitle(p.title);
  return (
    <div className="page">
      <div className="page-head">
        <div><h1>{p.title}</h1><p>{p.lede}</p></div>
      </div>
      <div className="card ph ph-honest">
        <div className="ph-text">
          <div className="ph-badge"><StateIcon icon={p.icon} tone="indigo" /><Pill tone="indigo" dot>Coming next</Pill></div>
          <h2>{p.heading}</h2>
          <p className="lede">{p.intro}</p>
          <ul className="ph-list">
            {p.points.map(([b, rest]) => <li key={b}><Icon name="check" strokeWidth={2.25} /><span><b>{b}</b>{rest}</span></li>)}
          </ul>
          <div className="ph-foot"><Icon name="info" /><span>Nothing is shown here until it comes from your own data.</span></div>
        </div>
        <div className="ph-today">
          <h3>Today</h3>
          {(PLACEHOLDER_TODAY[kind] || []).map(([icon, text, href, label]) => (
            <a key={href + label} className="ph-today-item" href={href}>
              <span className="pt-icon"><Icon name={icon} /></span>
              <span className="pt-text">{text}</span>
              <span className="pt-go">{label}<Icon name="chevron-right" /></span>
            </a>
          ))}
          {kind === 'settings' && user.role === 'admin' && <a className="ph-today-item" href="#/admin/users"><span className="pt-icon"><Icon name="shield" /></span><span className="pt-text">Users, invitations, service tokens and security</span><span className="pt-go">Admin<Icon name="chevron-right" /></span></a>}
        </div>
      </div>
    </div>
  );
}

