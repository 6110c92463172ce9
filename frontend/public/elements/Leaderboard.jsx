import { useState } from 'react';

// The leaderboard page: ratings with their 95 % intervals, quality against cost, and the table.
// Props come from chatwait_ui.leaderboard.leaderboard_props(): rows (every model, ranked first),
// ranked (charted, best first), priced (ranked models with a cost), the axes' domains, the style
// coefficients, the since choices, a notice. The since control asks the server for the board anew
// (the `leaderboard_view` action answers with new props); the style toggle charts the
// style-controlled rating (length and markdown as covariates) instead of the plain one.
// Plain SVG, no chart library.
const W = 640;
const PAD = { left: 170, right: 24, top: 16, bottom: 34 };
const MUTED = 'hsl(var(--muted-foreground))';
const ACCENT = 'hsl(var(--primary))';

function scale([d0, d1], [r0, r1]) {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

function ticks([d0, d1], n) {
  const out = [];
  for (let i = 0; i <= n; i += 1) out.push(d0 + ((d1 - d0) * i) / n);
  return out;
}

function money(v) {
  if (v === null || v === undefined) return '—';
  return v >= 0.01 ? `$${v.toFixed(4)}` : `$${v.toPrecision(2)}`;
}

function label(row) {
  return row.model === row.agent || !row.agent ? row.model : `${row.model} (${row.agent})`;
}

// The plain rating of a row, or its style-controlled one.
function pick(row, styled) {
  return styled
    ? { rating: row.styleRating, ciLow: row.styleCiLow, ciHigh: row.styleCiHigh, rank: row.styleRank }
    : { rating: row.rating, ciLow: row.ciLow, ciHigh: row.ciHigh, rank: row.rank };
}

function RatingChart({ ranked, domain, styled }) {
  const rowH = 28;
  const h = PAD.top + PAD.bottom + rowH * ranked.length;
  const x = scale(domain, [PAD.left, W - PAD.right]);
  return (
    <svg className="cw-lb-ratings" viewBox={`0 0 ${W} ${h}`} width="100%" role="img"
      aria-label="Ratings with 95 % intervals" style={{ maxWidth: W }}>
      {ticks(domain, 4).map((t) => (
        <g key={t}>
          <line x1={x(t)} x2={x(t)} y1={PAD.top} y2={h - PAD.bottom} stroke="hsl(var(--border))" />
          <text x={x(t)} y={h - PAD.bottom + 16} fontSize="11" textAnchor="middle" fill={MUTED}>
            {Math.round(t)}
          </text>
        </g>
      ))}
      {[...ranked].sort((p, q) => pick(q, styled).rating - pick(p, styled).rating).map((full, i) => {
        const y = PAD.top + rowH * i + rowH / 2;
        const row = { ...full, ...pick(full, styled) };
        return (
          <g key={row.key} className="cw-lb-bar" data-model={row.model} data-rating={row.rating}>
            <text x={PAD.left - 8} y={y + 4} fontSize="12" textAnchor="end" fill="currentColor">
              {`#${row.rank ?? '—'} ${label(row)}`}
            </text>
            <rect x={PAD.left} y={y - 7} width={Math.max(0, x(row.rating) - PAD.left)} height="14"
              rx="3" fill={ACCENT} opacity="0.25" />
            <line className="cw-lb-ci" x1={x(row.ciLow)} x2={x(row.ciHigh)} y1={y} y2={y}
              stroke={ACCENT} strokeWidth="2" />
            <line x1={x(row.ciLow)} x2={x(row.ciLow)} y1={y - 6} y2={y + 6} stroke={ACCENT} strokeWidth="2" />
            <line x1={x(row.ciHigh)} x2={x(row.ciHigh)} y1={y - 6} y2={y + 6} stroke={ACCENT} strokeWidth="2" />
            <circle cx={x(row.rating)} cy={y} r="4" fill={ACCENT}>
              <title>{`${label(row)}: ${row.rating} (95 % ${row.ciLow} – ${row.ciHigh})`}</title>
            </circle>
          </g>
        );
      })}
      <text x={(PAD.left + W - PAD.right) / 2} y={h - 4} fontSize="11" textAnchor="middle" fill={MUTED}>
        {styled ? 'style-controlled rating (length and markdown held fixed)' : 'rating (Bradley–Terry, Elo scale)'} with 95 % interval
      </text>
    </svg>
  );
}

function CostChart({ priced, ratingDomain, costDomain }) {
  const h = 280;
  const left = 56;
  const x = scale(costDomain, [left, W - PAD.right]);
  const y = scale(ratingDomain, [h - PAD.bottom, PAD.top]);
  return (
    <svg className="cw-lb-scatter" viewBox={`0 0 ${W} ${h}`} width="100%" role="img"
      aria-label="Rating against cost per answer" style={{ maxWidth: W }}>
      {ticks(ratingDomain, 4).map((t) => (
        <g key={`r${t}`}>
          <line x1={left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="hsl(var(--border))" />
          <text x={left - 6} y={y(t) + 4} fontSize="11" textAnchor="end" fill={MUTED}>{Math.round(t)}</text>
        </g>
      ))}
      {ticks(costDomain, 4).map((t) => (
        <text key={`c${t}`} x={x(t)} y={h - PAD.bottom + 16} fontSize="11" textAnchor="middle" fill={MUTED}>
          {money(t)}
        </text>
      ))}
      {priced.map((row) => (
        <g key={row.key} className="cw-lb-point" data-model={row.model} data-cost={row.cost}>
          <line x1={x(row.cost)} x2={x(row.cost)} y1={y(row.ciLow)} y2={y(row.ciHigh)}
            stroke={ACCENT} opacity="0.5" />
          <circle cx={x(row.cost)} cy={y(row.rating)} r="5" fill={ACCENT}>
            <title>{`${label(row)}: ${row.rating} at ${money(row.cost)} per answer`}</title>
          </circle>
          <text x={x(row.cost) + 8} y={y(row.rating) - 6} fontSize="11" fill="currentColor">{row.model}</text>
        </g>
      ))}
      <text x={(left + W - PAD.right) / 2} y={h - 4} fontSize="11" textAnchor="middle" fill={MUTED}>
        mean cost per answer (up and left is better)
      </text>
    </svg>
  );
}

function coef(v) {
  return v === null || v === undefined ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
}

export default function Leaderboard() {
  const [fresh, setFresh] = useState(null);
  const [busy, setBusy] = useState(false);
  const [styled, setStyled] = useState(false);
  const view = fresh || props;
  const rows = view.rows || [];
  const ranked = view.ranked || [];
  const priced = view.priced || [];
  const style = view.style || {};
  const choose = (since) => {
    setBusy(true);
    Promise.resolve(callAction({ name: 'leaderboard_view',
      payload: { scope: view.scope, board: view.board, since } }))
      .then((answer) => { if (answer && answer.response) setFresh(answer.response); })
      .finally(() => setBusy(false));
  };
  const cell = { padding: '4px 8px', borderBottom: '1px solid hsl(var(--border))', textAlign: 'right' };
  const head = { ...cell, fontWeight: 600, color: MUTED };
  const whose = view.scope === 'all' ? "everyone's" : 'your';
  const which = view.board === 'all' ? 'votes' : 'blind battles';
  return (
    <div className="cw-leaderboard" data-scope={view.scope} data-board={view.board}
      data-since={view.since || 'all'} data-styled={styled ? 'yes' : 'no'} aria-busy={busy}
      style={{ display: 'grid', gap: 12, width: '100%' }}>
      <div style={{ fontSize: 14 }}>
        <strong>Leaderboard</strong>{' '}
        <span style={{ color: MUTED }}>
          {`${whose} ${which}: ${view.battles} counted battles; a model needs ${view.minBattles} to be ranked`}
        </span>
      </div>
      <div className="cw-lb-controls" style={{ display: 'flex', gap: 16, flexWrap: 'wrap', alignItems: 'center', fontSize: 13 }}>
        <label>
          {'Since '}
          <select className="cw-lb-since" value={view.since || 'all'} disabled={busy}
            onChange={(e) => choose(e.target.value)}
            style={{ background: 'hsl(var(--background))', color: 'inherit', borderRadius: 4,
              border: '1px solid hsl(var(--border))', padding: '2px 6px' }}>
            {(view.sinceChoices || []).map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
          </select>
        </label>
        <label>
          <input type="checkbox" className="cw-lb-style-toggle" checked={styled}
            onChange={(e) => setStyled(e.target.checked)} />
          {' Chart the style-controlled rating'}
        </label>
        <span className="cw-lb-style-coef" style={{ color: MUTED }}
          title="Log-odds per typical difference between the two answers; positive: voters prefer the longer or more formatted one">
          {`style effect: length ${coef(style.length)}, markdown ${coef(style.markdown)}`}
        </span>
      </div>
      {view.notice ? <div className="cw-notice" role="alert" style={{ fontSize: 13 }}>{view.notice}</div> : null}
      {ranked.length ? (
        <RatingChart ranked={ranked} domain={view.ratingDomain} styled={styled} />
      ) : (
        <div className="cw-lb-empty" style={{ fontSize: 13, color: MUTED }}>
          No model is ranked yet: vote on blind battles (the eye button in the composer).
        </div>
      )}
      {ranked.length ? (
        priced.length ? (
          <CostChart priced={priced} ratingDomain={view.ratingDomain} costDomain={view.costDomain} />
        ) : (
          <div className="cw-lb-noprice" style={{ fontSize: 13, color: MUTED }}>
            No ranked model has a price, so there is no rating-against-cost chart.
          </div>
        )
      ) : null}
      {rows.length ? (
        <table className="cw-lb-table" style={{ borderCollapse: 'collapse', fontSize: 13, width: '100%' }}>
          <thead>
            <tr>
              {['Rank', 'Model', 'Rating', '95 % CI', 'Style-controlled', 'Battles', 'Win rate', 'Cost / answer', 'Cost / win'].map(
                (h, i) => <th key={h} style={{ ...head, textAlign: i === 1 ? 'left' : 'right' }}>{h}</th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key} className="cw-lb-row" data-model={row.model} data-rank={row.rank ?? ''}>
                <td style={cell}>{row.rank ?? '—'}</td>
                <td style={{ ...cell, textAlign: 'left' }}>{label(row)}</td>
                <td style={cell}>{row.rating.toFixed(0)}</td>
                <td style={cell}>{`${row.ciLow.toFixed(0)} – ${row.ciHigh.toFixed(0)}`}</td>
                <td className="cw-lb-style" style={cell} data-style-rank={row.styleRank ?? ''}
                  title={`95 % ${row.styleCiLow.toFixed(0)} – ${row.styleCiHigh.toFixed(0)}`}>
                  {`${row.styleRating.toFixed(0)}${row.styleRank ? ` (#${row.styleRank})` : ''}`}
                </td>
                <td style={cell}>{row.battles}</td>
                <td style={cell}>{row.winRate === null ? '—' : `${(row.winRate * 100).toFixed(0)} %`}</td>
                <td style={cell}>{money(row.cost)}</td>
                <td style={cell}>{money(row.costPerWin)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
