import { useState } from 'react';

// Your own provider keys, one password field per agent whose provider takes a key.
// Props come from chatwait_ui.panels.keys_props(): agents [{name, provider, last4, available}]
// and a notice. A key typed here goes to the backend once (PUT /me/provider-keys/{agent})
// through the `provider_key` action and is never sent back: rows show its last four only.
export default function ProviderKeys() {
  const [drafts, setDrafts] = useState({});
  const agents = props.agents || [];
  const act = (payload) => callAction({ name: 'provider_key', payload });
  const save = (agent) => {
    const key = (drafts[agent] || '').trim();
    if (!key) return;
    setDrafts({ ...drafts, [agent]: '' });
    act({ op: 'save', agent, api_key: key });
  };
  return (
    <div className="cw-provider-keys" style={{ display: 'grid', gap: 8, width: '100%' }}>
      {props.notice ? (
        <div className="cw-notice" role="status" style={{ fontSize: 13 }}>{props.notice}</div>
      ) : null}
      {agents.map((agent) => (
        <div key={agent.name} className="cw-key-row" data-agent={agent.name}
          style={{ display: 'flex', gap: 8, alignItems: 'center', flexWrap: 'wrap' }}>
          <strong style={{ minWidth: 110 }}>{agent.name}</strong>
          <span className="cw-key-status" style={{ fontSize: 12, minWidth: 150,
            color: 'hsl(var(--muted-foreground))' }}>
            {agent.last4 ? `your key …${agent.last4}` : agent.available ? 'server key' : 'no key'}
          </span>
          <input type="password" autoComplete="off" placeholder={`${agent.provider} API key`}
            aria-label={`${agent.name} API key`} value={drafts[agent.name] || ''}
            onChange={(e) => setDrafts({ ...drafts, [agent.name]: e.target.value })}
            onKeyDown={(e) => { if (e.key === 'Enter') save(agent.name); }}
            style={{ flex: 1, minWidth: 180, padding: '4px 8px', borderRadius: 6,
              border: '1px solid hsl(var(--border))', background: 'transparent' }} />
          <button type="button" className="cw-key-save" onClick={() => save(agent.name)}
            style={{ padding: '4px 10px', borderRadius: 6, border: '1px solid hsl(var(--border))' }}>
            Save
          </button>
          {agent.last4 ? (
            <button type="button" className="cw-key-remove"
              onClick={() => act({ op: 'delete', agent: agent.name })}
              style={{ padding: '4px 10px', borderRadius: 6, border: '1px solid hsl(var(--border))' }}>
              Remove
            </button>
          ) : null}
        </div>
      ))}
    </div>
  );
}
