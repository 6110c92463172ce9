// The user's limits and usage, always beside the chat (Chainlit's element side view).
// Props come from chatwait_ui.usage.usage_props(): rows [{name, label, used, reserved, limit,
// text, reservedText, state, percent, reservedPercent, resets}], todayTokens, monthCost,
// refused (why the last message was not sent, when to retry) and notice (usage unreadable).
// A limited row has a bar (settled usage solid, running turns' reservations lighter);
// an unlimited one is a count.
const COLORS = {
  ok: 'hsl(142 60% 42%)', // not the theme's primary: Chainlit's is a red, read as "full"
  high: 'hsl(38 92% 50%)',
  full: 'hsl(var(--destructive))',
};
const MUTED = 'hsl(var(--muted-foreground))';

function Bar({ row }) {
  const color = COLORS[row.state] || COLORS.ok;
  return (
    <div className="cw-usage-bar" role="progressbar" aria-label={row.label}
      aria-valuemin={0} aria-valuemax={row.limit} aria-valuenow={row.used}
      style={{ height: 6, borderRadius: 3, background: 'hsl(var(--muted))', overflow: 'hidden',
        display: 'flex' }}>
      <div className="cw-usage-fill" style={{ width: `${row.percent}%`, background: color }} />
      <div className="cw-usage-reserved"
        style={{ width: `${row.reservedPercent || 0}%`, background: color, opacity: 0.35 }} />
    </div>
  );
}

function Row({ row }) {
  return (
    <div className="cw-usage-row" data-limit={row.name} data-state={row.state}
      style={{ display: 'grid', gap: 3 }}>
      <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8, fontSize: 13 }}>
        <span>{row.label}</span>
        <span className="cw-usage-value" style={{ fontVariantNumeric: 'tabular-nums' }}>
          {row.text}
          {row.limit === null ? (
            <span style={{ color: MUTED }}> · unlimited</span>
          ) : null}
        </span>
      </div>
      {row.percent === null ? null : <Bar row={row} />}
      <div style={{ fontSize: 11, color: MUTED }}>
        {row.reservedText ? `${row.reservedText} · ` : ''}
        {`resets ${row.resets}`}
      </div>
    </div>
  );
}

export default function Usage() {
  const rows = props.rows || [];
  return (
    <div className="cw-usage" style={{ display: 'grid', gap: 12, width: '100%' }}>
      {props.refused ? (
        <div className="cw-usage-refused" role="alert"
          style={{ fontSize: 13, padding: '6px 8px', borderRadius: 6,
            border: '1px solid hsl(var(--destructive))' }}>
          {props.refused}
        </div>
      ) : null}
      {props.notice ? (
        <div className="cw-usage-notice" role="status" style={{ fontSize: 13 }}>{props.notice}</div>
      ) : null}
      {rows.map((row) => <Row key={row.name} row={row} />)}
      {rows.length ? (
        <div className="cw-usage-totals" style={{ fontSize: 12, color: MUTED }}>
          {`Today: ${props.todayTokens.toLocaleString('en-US')} tokens · this month: ${props.monthCost}`}
        </div>
      ) : null}
    </div>
  );
}
