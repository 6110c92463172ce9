// The admin's agent switches (PATCH /admin/agents/{name} through the `agent_toggle` action).
// Props come from chatwait_ui.panels.toggles_props(): agents [{name, provider, enabled,
// models, allowed_models}] and a notice (e.g. "admins only").
export default function AgentToggles() {
  const agents = props.agents || [];
  return (
    <div className="cw-agent-toggles" style={{ display: 'grid', gap: 6, width: '100%' }}>
      {props.notice ? (
        <div className="cw-notice" role="status" style={{ fontSize: 13 }}>{props.notice}</div>
      ) : null}
      {agents.map((agent) => (
        <label key={agent.name} className="cw-toggle-row" data-agent={agent.name}
          style={{ display: 'flex', gap: 8, alignItems: 'center' }}>
          <input type="checkbox" checked={agent.enabled} aria-label={`${agent.name} enabled`}
            onChange={(e) => callAction({ name: 'agent_toggle',
              payload: { agent: agent.name, enabled: e.target.checked } })} />
          <strong style={{ minWidth: 110 }}>{agent.name}</strong>
          <span style={{ fontSize: 12, color: 'hsl(var(--muted-foreground))' }}>
            {agent.provider} · {agent.allowed_models ? agent.allowed_models.join(', ') : 'every model'}
          </span>
        </label>
      ))}
    </div>
  );
}
