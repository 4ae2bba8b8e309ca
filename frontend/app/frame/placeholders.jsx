/* ========================================================================
   Placeholder pages: concrete about what is coming, styled as empty states
   ======================================================================== */
function MockGrid() {
  const rows = [
    ['Halcyon Family Office', 'Family office', 'tag-a', 'Committed', 'tag-b', '$5,000,000', '$2,500,000', '2 days ago'],
    ['Northgate Endowment', 'Endowment', 'tag-e', 'Diligence', 'tag-c', '$10,000,000', '', 'yesterday'],
    ['Marisol Capital', 'Fund of funds', 'tag-d', 'Meeting', 'tag-a', '', '$7,500,000', '5 days ago'],
    ['Ellery Partners', 'Family office', 'tag-a', 'Contacted', 'tag-e', '', '', '3 weeks ago'],
    ['Cobalt Pension Trust', 'Pension', 'tag-c', 'Committed', 'tag-b', '$15,000,000', '$5,000,000', 'today'],
    ['Aster & Vine', 'Individual', 'tag-b', 'Soft circle', 'tag-d', '$1,000,000', '', '4 days ago'],
    ['Tidewater Foundation', 'Foundation', 'tag-e', 'Meeting', 'tag-a', '', '$3,000,000', '1 week ago'],
    ['Quillon Holdings', 'Corporate', 'tag-d', 'Contacted', 'tag-e', '', '', '2 weeks ago'],
    ['Juniper Trust', 'Family office', 'tag-a', 'Meeting', 'tag-a', '', '$5,000,000', '6 days ago'],
    ['Oakmere LP', 'Fund of funds', 'tag-d', 'Diligence', 'tag-c', '$2,000,000', '$15,000,000', '3 days ago'],
    ['Arden Family', 'Family office', 'tag-a', 'Diligence', 'tag-c', '', '$6,000,000', 'yesterday'],
    ['Brightwater Capital', 'Fund of funds', 'tag-d', 'Contacted', 'tag-e', '', '', '1 month ago'],
  ];
  const colors = ['#c7d2fe', '#bbf7d0', '#fde68a', '#fbcfe8', '#bae6fd', '#ddd6fe', '#fed7aa', '#99f6e4'];
  return (
    <div className="mock">
      <div className="mock-bar"><span className="mb-pill acc" style={{ width: 84 }} /><span className="mb-pill" style={{ width: 60 }} /><span className="mb-pill" style={{ width: 52 }} /><span className="spacer" /><span className="mb-pill" style={{ width: 70 }} /></div>
      <div className="mg" style={{ gridTemplateColumns: '190px 120px 110px 118px 118px 96px' }}>
        <div className="mh"><Icon name="type" />Investor</div><div className="mh">Type</div><div className="mh">Stage</div>
        <div className="mh"><Icon name="dollar" />Fund I</div><div className="mh"><Icon name="dollar" />Fund II</div><div className="mh"><Icon name="clock" />Last touch</div>
        {rows.map((r, i) => (
          <React.Fragment key={i}>
            <div className="nm"><span className="mini-av" style={{ background: colors[i % colors.length] }} />{r[0]}</div>
            <div><span className={'tag ' + r[2]}>{r[1]}</span></div>
            <div><span className={'tag ' + r[4]}>{r[3]}</span></div>
            <div className={cx('money', !r[5] && 'empty')}>{r[5] || '—'}</div>
            <div className={cx('money', !r[6] && 'empty')}>{r[6] || '—'}</div>
            <div className="faint">{r[7]}</div>
          </React.Fragment>
        ))}
      </div>
    </div>
  );
}

function MockThreads() {
  const t = [
    ['Priya Raman', 'Halcyon FO', 'Re: Fund II data room access', 'Thanks, the team reviewed the deck and would like to…', '10:42'],
    ['Tom Whitaker', 'Northgate', 'Side letter questions', 'Following up on the MFN clause we discussed on…', 'Yesterday'],
    ['You', 'Marisol Capital', 'Q3 update and next steps', 'Sharing the portfolio update ahead of Thursday…', 'Mon'],
    ['Ana Costa', 'Cobalt Pension', 'Commitment confirmed', 'Investment committee approved a $15m commitment to…', 'Mon'],
    ['Matrix intake', 'Aster & Vine', 'Note: call with Jordan', 'Interested in Fund II, wants co-invest rights; follow…', 'Sep 12'],
    ['Lena Hart', 'Tidewater', 'Intro via Ellery', 'Happy to make the introduction; their CIO is…', 'Sep 10'],
  ];
  return (
    <div className="mock">
      <div className="mock-bar"><span className="mb-pill acc" style={{ width: 220 }} /><span className="spacer" /><span className="mb-pill" style={{ width: 64 }} /></div>
      {t.map((r, i) => (
        <div className="mk-thread" key={i}>
          <Avatar name={r[0]} size="sm" />
          <div className="t-main">
            <div className="t-from">{r[0]}<span className="t-when">{r[4]}</span></div>
            <div className="t-subj">{r[2]}</div>
            <div className="t-snip">{r[3]}</div>
            <span className="t-link"><span className="tag tag-a">{r[1]}</span></span>
          </div>
        </div>
      ))}
    </div>
  );
}

function MockBoard() {
  const cols = [
    ['Contacted', 12, '$18m', [['Ellery Partners', 'EP', '$2m'], ['Quillon Holdings', 'QH', '$3m'], ['Juniper Trust', 'JT', '$5m']]],
    ['Meeting', 7, '$24m', [['Marisol Capital', 'MC', '$7.5m'], ['Tidewater Fdn.', 'TF', '$3m']]],
    ['Diligence', 4, '$31m', [['Northgate Endow.', 'NE', '$10m'], ['Arden Family', 'AF', '$6m'], ['Oakmere LP', 'OL', '$15m']]],
    ['Committed', 9, '$42m', [['Cobalt Pension', 'CP', '$15m'], ['Halcyon FO', 'HF', '$5m']]],
  ];
  return (
    <div className="mock">
      <div className="mock-bar"><span className="mb-pill acc" style={{ width: 70 }} /><span className="mb-pill" style={{ width: 90 }} /><span className="spacer" /></div>
      <div className="mk-board">
        {cols.map(c => (
          <div className="mk-col" key={c[0]}>
            <div className="mk-col-h">{c[0]}<span className="n">{c[1]}</span><span className="sum">{c[2]}</span></div>
            {c[3].map(card => (
              <div className="mk-card" key={card[0]}>
                <div className="c-name">{card[0]}</div>
                <div className="c-meta"><Avatar name={card[1]} size="sm" />Fund II<span className="amt">{card[2]}</span></div>
              </div>
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}

function MockDashboard() {
  const bars = [22, 35, 28, 46, 40, 58, 52, 66, 61, 74, 70, 86];
  return (
    <div className="mock">
      <div className="mk-stats">
        <div className="mk-stat"><div className="s-l">Committed · Fund II</div><div className="s-v">$62.5m</div><div className="s-d">▲ $15m this month</div></div>
        <div className="mk-stat"><div className="s-l">Target</div><div className="s-v">$100m</div><div className="s-d faint">62% of target</div></div>
        <div className="mk-stat"><div className="s-l">Weighted pipeline</div><div className="s-v">$38.2m</div><div className="s-d">▲ 8 investors</div></div>
      </div>
      <div className="mk-fund">
        <div className="f-row"><span><b>Fund II</b> · hard + soft</span><span>$62.5m / $100m</span></div>
        <div className="mk-track"><span className="hard" style={{ width: '48%' }} /><span className="soft" style={{ width: '14%' }} /></div>
        <div className="f-row"><span><b>Fund I</b> · closed</span><span>$45m / $45m</span></div>
        <div className="mk-track"><span className="hard" style={{ width: '100%' }} /></div>
      </div>
      <div className="mk-bars">{bars.map((h, i) => <span key={i} className={i === bars.length - 1 ? 'hi' : ''} style={{ height: h + '%' }} />)}</div>
    </div>
  );
}

function MockSettings() {
  const rows = [
    ['send', 'Outbound mail (SMTP)', 'smtp.yourfund.com · invites and digest', true],
    ['mail', 'Weekly digest', 'Mondays 08:00 · 4 recipients', true],
    ['database', 'Backups', 'Nightly · keep 30 · last verified today', true],
    ['link', 'Gmail capture', 'Not connected', false],
    ['bot', 'Matrix intake bot', 'Service token · intake:match, intake:write', true],
    ['sparkles', 'Local language model', 'OpenAI-compatible endpoint on this box', false],
  ];
  return (
    <div className="mock">
      {rows.map(r => (
        <div className="mk-set" key={r[1]}>
          <span className="s-ic"><Icon name={r[0]} /></span>
          <div><div className="s-t">{r[1]}</div><div className="s-d">{r[2]}</div></div>
          <span className={cx('toggle', r[3] && 'on')} />
        </div>
      ))}
    </div>
  );
}

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
    mock: MockGrid,
  },
  communications: {
    title: 'Communications', icon: 'mail', lede: 'Email threads and notes, attached to the right investor automatically.',
    heading: 'Captured mail, linked to investors',
    intro: 'Gmail threads with your LPs are captured and matched to investors by contact email and domain, so nobody has to forward or BCC.',
    points: [
      ['Gmail capture', ' of threads with known investor contacts, matched by address and domain.'],
      ['Notes and calls', ' from the team and from the Matrix intake bot, each with its source.'],
      ['Search', ' across mail, notes and investor records in one box.'],
      ['Per-investor timeline', ': last touch, next step, and who on the team knows them best.'],
    ],
    mock: MockThreads,
  },
  pipeline: {
    title: 'Pipeline', icon: 'kanban', lede: 'Your raise as a board: investors move left to right as they progress.',
    heading: 'A board of investors by stage',
    intro: 'The same investors as the grid, grouped by stage from first contact to committed, with amounts rolled up per column.',
    points: [
      ['Drag a card', ' to change its stage; the grid updates for everyone at once.'],
      ['Totals per stage and fund', ', including soft circles and weighted pipeline.'],
      ['Lists kept by rules', ': follow-up, longshot and graveyard, maintained by automations you can read.'],
      ['Shared filters', ' with the grid\u2019s saved views.'],
    ],
    mock: MockBoard,
  },
  dashboard: {
    title: 'Dashboard', icon: 'chart', lede: 'Where the raise stands, at a glance.',
    heading: 'Committed vs. target, per fund',
    intro: 'Live numbers from the grid: how much is committed against each fund\u2019s target, what is in the pipeline and who the team has been talking to.',
    points: [
      ['Committed vs. target', ' per fund, splitting hard and soft commitments.'],
      ['Pipeline totals', ' by stage, weighted by likelihood.'],
      ['Team activity', ': meetings, emails and notes this week, and investors going cold.'],
      ['Weekly digest', ' by email, drafted from the same numbers.'],
    ],
    mock: MockDashboard,
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
    mock: MockSettings,
  },
};

function PlaceholderPage({ kind, user }) {
  const p = PLACEHOLDERS[kind];
  usePageTitle(p.title);
  const Mock = p.mock;
  return (
    <div className="page">
      <div className="page-head">
        <div><h1>{p.title}</h1><p>{p.lede}</p></div>
      </div>
      <div className="card ph">
        <div className="ph-text">
          <div className="ph-badge"><StateIcon icon={p.icon} tone="indigo" /><Pill tone="indigo" dot>In development</Pill></div>
          <h2>{p.heading}</h2>
          <p className="lede">{p.intro}</p>
          <ul className="ph-list">
            {p.points.map(([b, rest]) => <li key={b}><Icon name="check" strokeWidth={2.25} /><span><b>{b}</b>{rest}</span></li>)}
          </ul>
          {kind === 'settings' && user.role === 'admin'
            ? <div className="ph-foot"><Icon name="shield" /><span>Users, invitations, service tokens and security are ready under <a href="#/admin/users">Admin</a>.</span></div>
            : <div className="ph-foot"><Icon name="info" /><span>Preview with sample data. Nothing here is stored yet.</span></div>}
        </div>
        <div className="ph-preview" aria-hidden="true"><Mock /></div>
      </div>
    </div>
  );
}

registerScreen({ path: '/communications', label: 'Communications', icon: 'mail', title: 'Communications', order: 20,
  Page: ({ user }) => <PlaceholderPage kind="communications" user={user} /> });
registerScreen({ path: '/pipeline', label: 'Pipeline', icon: 'kanban', title: 'Pipeline', order: 30,
  Page: ({ user }) => <PlaceholderPage kind="pipeline" user={user} /> });
registerScreen({ path: '/dashboard', label: 'Dashboard', icon: 'chart', title: 'Dashboard', order: 50,
  Page: ({ user }) => <PlaceholderPage kind="dashboard" user={user} /> });
