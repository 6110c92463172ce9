// The admin's agent switches and model allowlists (PATCH /admin/agents/{name} through the
// `agent_toggle` action). Props come from chatwait_ui.panels.toggles_props(): agents
// [{name, provider, enabled, models, allowed_models}] and a notice (e.g. "admins only").
export default function AgentToggles() {
  const agents = props.agents || [];
  const allowed = (agent) => agent.allowed_models || agent.models || [];
  const setModel = (agent, model, on) => {
    const chosen = (agent.models || []).filter((m) =>
      m === model ? on : allowed(agent).includes(m));
    if (!chosen.length) return; // at least one model stays allowed
    const all = chosen.length === (agent.models || []).length;
    callAction({ name: 'agent_toggle', payload: { agent: agent.name, models: all ? null : chosen } });
  };
  return (
    <div className="cw-agent-toggles" style={{ display: 'grid', gap: 8, width: '100%' }}>
      {props.notice ? (
        <div className="cw-notice" role="status" style={{ fontSize: 13 }}>{props.notice}</div>
      ) : null}
      {agents.map((agent) => (
        <div key={agent.name} className="cw-toggle-row" data-agent={agent.name}
          style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
          <label style={{ display: 'flex', gap: 8, alignItems: 'center', minWidth: 160 }}>
            <input type="checkbox" className="cw-toggle-enabled" checked={agent.enabled}
              aria-label={`${agent.name} enabled`}
              onChange={(e) => callAction({ name: 'agent_toggle',
                payload: { agent: agent.name, enabled: e.target.checked } })} />
            <strong>{agent.name}</strong>
          </label>
          <span style={{ fontSize: 12, color: 'hsl(var(--muted-foreground))' }}>{agent.provider}</span>
          {(agent.models || []).map((model) => (
            <label key={model} className="cw-toggle-model" data-model={model}
              style={{ display: 'flex', gap: 4, alignItems: 'center', fontSize: 12 }}>
              <input type="checkbox" checked={allowed(agent).includes(model)}
                aria-label={`${agent.name} ${model} allowed`}
                onChange={(e) => setModel(agent, model, e.target.checked)} />
              {model}
            </label>
          ))}
        </div>
      ))}
    </div>
  );
}
