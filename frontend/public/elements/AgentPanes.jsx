import { useEffect, useRef, useState } from 'react';
import { Markdown } from '@/components/markdown';
import { AlertTriangle, Brain, CheckCircle2, CircleSlash, Hourglass, Loader2, Merge, RefreshCw, Wrench } from 'lucide-react';

// One column per agent run of a turn. Props come from chatwait_ui.turn_view.TurnView.to_props().
//
// Chainlit evaluates this file again on every props update. A default export that is a
// *function* would be a new component type each time, so React would unmount and rebuild
// the whole DOM per update (scroll jumps, lost timers, detached nodes). Instead the
// components are built once per page (cached on `window`, keyed by VERSION) and the
// default export is an *element* of that stable type: updates re-render in place.
const VERSION = 'agent-panes-8'; // bump on every edit: an open page keeps the built components

function build() {
  const TONES = {
    pending: { fg: 'hsl(var(--muted-foreground))', bg: 'hsl(var(--muted))' },
    running: { fg: 'hsl(var(--primary))', bg: 'hsl(var(--primary) / 0.12)' },
    done: { fg: 'hsl(142 71% 35%)', bg: 'hsl(142 71% 45% / 0.14)' },
    // fixed hues rather than --destructive, which is too dark to read in the dark theme
    error: { fg: 'hsl(0 80% 58%)', bg: 'hsl(0 80% 58% / 0.12)' },
    timeout: { fg: 'hsl(0 80% 58%)', bg: 'hsl(0 80% 58% / 0.12)' },
    interrupted: { fg: 'hsl(0 80% 58%)', bg: 'hsl(0 80% 58% / 0.12)' },
    cancelled: { fg: 'hsl(32 95% 40%)', bg: 'hsl(32 95% 50% / 0.14)' }
  };

  function useElapsedSeconds(running) {
    const start = useRef(Date.now());
    const [now, setNow] = useState(Date.now());
    useEffect(() => {
      if (!running) return undefined;
      const timer = setInterval(() => setNow(Date.now()), 100);
      return () => clearInterval(timer);
    }, [running]);
    return Math.max(0, (now - start.current) / 1000);
  }

  function StatusIcon({ status }) {
    const size = { width: 14, height: 14 };
    if (status === 'done') return <CheckCircle2 style={size} />;
    if (status === 'cancelled') return <CircleSlash style={size} />;
    if (status === 'pending') return <Hourglass style={size} />;
    if (status === 'running') return <Loader2 style={size} className="animate-spin" />;
    return <AlertTriangle style={size} />;
  }

  const MONO = { fontFamily: 'ui-monospace, monospace', fontSize: 12, whiteSpace: 'pre-wrap',
    wordBreak: 'break-word', margin: '4px 0 0', padding: '6px 8px', borderRadius: 6,
    background: 'hsl(var(--muted) / 0.6)', maxHeight: 240, overflow: 'auto' };

  // A collapsible block; `open` is the user's choice, kept across props updates.
  function Fold({ className, summary, children, data }) {
    const [open, setOpen] = useState(false);
    return (
      <details className={className} open={open} {...data}
        onToggle={(e) => setOpen(e.currentTarget.open)}
        style={{ margin: '6px 0', fontSize: 13, border: '1px solid hsl(var(--border))',
          borderRadius: 8, padding: '4px 8px' }}>
        <summary style={{ cursor: 'pointer', display: 'flex', alignItems: 'center', gap: 6,
          color: 'hsl(var(--muted-foreground))' }}>{summary}</summary>
        {children}
      </details>
    );
  }

  function Reasoning({ reasoning }) {
    const icon = reasoning.live
      ? <Loader2 style={{ width: 13, height: 13 }} className="animate-spin" />
      : <Brain style={{ width: 13, height: 13 }} />;
    return (
      <Fold className="cw-reasoning" data={{ 'data-live': reasoning.live ? 'true' : 'false' }}
        summary={<>{icon}<span className="cw-reasoning-label">{reasoning.label}</span></>}>
        <div className="cw-reasoning-text" style={{ ...MONO, fontFamily: 'inherit' }}>{reasoning.text}</div>
      </Fold>
    );
  }

  function ToolRow({ tool }) {
    const tone = tool.state === 'error' ? TONES.error : tool.state === 'done' ? TONES.done : TONES.running;
    const icon = tool.state === 'running'
      ? <Loader2 style={{ width: 13, height: 13 }} className="animate-spin" />
      : tool.state === 'error' ? <AlertTriangle style={{ width: 13, height: 13, color: tone.fg }} />
        : <Wrench style={{ width: 13, height: 13 }} />;
    return (
      <Fold className="cw-tool" data={{ 'data-state': tool.state, 'data-tool': tool.name,
        'data-call-id': tool.callId }}
        summary={<>{icon}<span className="cw-tool-label" style={{ color: tool.state === 'error' ? tone.fg : undefined }}>{tool.label}</span></>}>
        <div style={{ fontSize: 12, marginTop: 4 }}>Arguments</div>
        <pre className="cw-tool-arguments" style={MONO}>{tool.arguments || '{}'}</pre>
        {tool.output !== null ? (
          <>
            <div style={{ fontSize: 12, marginTop: 4 }}>{tool.state === 'error' ? 'Error' : 'Result'}</div>
            <pre className="cw-tool-output" style={MONO}>{tool.output}</pre>
          </>
        ) : null}
      </Fold>
    );
  }

  const BUTTON = { padding: '4px 12px', borderRadius: 6, fontSize: 13,
    border: '1px solid hsl(var(--border))', background: 'hsl(var(--card))' };
  const SMALL_ICON = { width: 13, height: 13 };

  function Pane({ pane, mode, regenerate }) {
    const tone = TONES[pane.status] || TONES.pending;
    const tools = pane.tools || [];
    const waiting = !pane.text && !pane.error && !pane.footer && !pane.reasoning && !tools.length;
    return (
      <section
        className="cw-pane"
        data-agent={pane.agent}
        data-model={pane.model}
        data-status={pane.status}
        data-run-id={pane.key}
        data-slot={pane.slot || ''}
        data-hidden={pane.hidden ? 'true' : 'false'}
        aria-label={pane.hidden ? `Answer ${pane.agent}` : `${pane.agent} · ${pane.model}`}
        style={{
          display: 'flex',
          flexDirection: 'column',
          minWidth: 0,
          border: '1px solid hsl(var(--border))',
          borderTop: `3px solid ${tone.fg}`,
          borderRadius: 10,
          background: 'hsl(var(--card))',
          overflow: 'hidden'
        }}
      >
        <header
          className="cw-pane-header"
          style={{ display: 'flex', alignItems: 'center', gap: 8, padding: '8px 12px',
            borderBottom: '1px solid hsl(var(--border))' }}
        >
          {pane.slot && !pane.hidden ? (
            <span className="cw-pane-slot" style={{ fontSize: 11, fontWeight: 700, padding: '1px 6px',
              borderRadius: 4, border: '1px solid hsl(var(--border))' }}>{pane.slot}</span>
          ) : null}
          <strong className="cw-pane-agent" style={{ fontSize: 14 }}>
            {pane.hidden ? `Answer ${pane.agent}` : pane.agent}
          </strong>
          {pane.badge ? (
            <span className="cw-pane-badge" style={{ fontSize: 11, padding: '1px 6px', borderRadius: 4,
              whiteSpace: 'nowrap', color: 'hsl(var(--primary))',
              background: 'hsl(var(--primary) / 0.12)' }}>{pane.badge}</span>
          ) : null}
          <span className="cw-pane-model" style={{ fontSize: 12, color: 'hsl(var(--muted-foreground))',
            fontFamily: 'ui-monospace, monospace', overflow: 'hidden', textOverflow: 'ellipsis',
            whiteSpace: 'nowrap' }}>{pane.model}</span>
          <span
            className="cw-pane-status"
            style={{ marginLeft: 'auto', display: 'inline-flex', alignItems: 'center', gap: 4,
              fontSize: 12, fontWeight: 600, padding: '2px 8px', borderRadius: 999,
              color: tone.fg, background: tone.bg, whiteSpace: 'nowrap' }}
          >
            <StatusIcon status={pane.status} />
            {pane.statusLabel}
          </span>
        </header>
        <div className="cw-pane-body" style={{ padding: '4px 12px 8px', flexGrow: 1, minWidth: 0 }}>
          {pane.reasoning ? <Reasoning reasoning={pane.reasoning} /> : null}
          {tools.map((tool) => <ToolRow key={tool.callId} tool={tool} />)}
          {pane.text ? (
            <div className="cw-pane-text" data-raw={pane.text}>
              <Markdown>{pane.text}</Markdown>
            </div>
          ) : null}
          {waiting ? (
            <div className="cw-pane-waiting" style={{ display: 'flex', alignItems: 'center', gap: 6,
              padding: '10px 0', fontSize: 13, color: 'hsl(var(--muted-foreground))' }}>
              <Loader2 style={{ width: 14, height: 14 }} className="animate-spin" />
              {mode === 'wait' ? 'Waiting for the answer…' : 'Waiting for the first token…'}
            </div>
          ) : null}
          {pane.error ? (
            <div
              className="cw-pane-error"
              role="alert"
              data-code={pane.error.code}
              style={{ marginTop: 8, padding: '8px 10px', borderRadius: 8, fontSize: 13,
                color: tone.fg, background: tone.bg }}
            >
              {pane.error.code === 'cancelled' ? null : <strong>{pane.error.code}: </strong>}
              {pane.error.message}
              {pane.error.retryable ? ' (retryable)' : ''}
            </div>
          ) : null}
        </div>
        {pane.footer ? (
          <footer
            className="cw-pane-footer"
            style={{ display: 'flex', flexWrap: 'wrap', gap: '2px 10px', padding: '6px 12px',
              fontSize: 12, color: 'hsl(var(--muted-foreground))',
              borderTop: '1px solid hsl(var(--border))', background: 'hsl(var(--muted) / 0.35)' }}
          >
            {pane.footer.map((item, i) => (
              <span key={i} className="cw-footer-item">{item}</span>
            ))}
            {regenerate ? (
              <button type="button" className="cw-regenerate" data-run-id={pane.runId}
                title="Ask the same agent and model again: the new answer appears beside this one"
                onClick={() => regenerate(pane.runId)}
                style={{ marginLeft: 'auto', display: 'inline-flex', alignItems: 'center', gap: 4,
                  fontSize: 12, border: 'none', background: 'none', cursor: 'pointer',
                  color: 'hsl(var(--primary))' }}>
                <RefreshCw style={{ width: 12, height: 12 }} /> Regenerate
              </button>
            ) : null}
          </footer>
        ) : null}
      </section>
    );
  }

  function Progress({ mode, pending, seconds }) {
    const agents = pending.length
      ? `${pending.length} agent${pending.length === 1 ? '' : 's'}`
      : 'the agents';
    const label = mode === 'wait' ? `Waiting for ${agents}` : `Streaming from ${agents}`;
    return (
      <div className="cw-progress" role="status" data-mode={mode}
        style={{ display: 'flex', flexDirection: 'column', gap: 6, marginBottom: 10 }}>
        <div style={{ display: 'flex', alignItems: 'center', gap: 8, fontSize: 13 }}>
          <Loader2 style={{ width: 16, height: 16 }} className="animate-spin" />
          <span className="cw-progress-label">{label}</span>
          <span className="cw-progress-agents" style={{ color: 'hsl(var(--muted-foreground))' }}>
            {pending.join(', ')}
          </span>
          <span className="cw-progress-elapsed" style={{ marginLeft: 'auto',
            fontVariantNumeric: 'tabular-nums', color: 'hsl(var(--muted-foreground))' }}>
            {seconds.toFixed(1)} s
          </span>
        </div>
        {mode === 'wait' ? (
          <div style={{ height: 3, borderRadius: 3, overflow: 'hidden', background: 'hsl(var(--muted))' }}>
            <div className="animate-pulse" style={{ height: '100%', width: '100%',
              background: 'hsl(var(--primary))' }} />
          </div>
        ) : null}
      </div>
    );
  }

  // More than two slots: pick the best, then the next, ... then send the whole ranking.
  function RankPicker({ slots, disabled, send }) {
    const [order, setOrder] = useState([]);
    const left = slots.filter((s) => !order.includes(s));
    return (
      <div className="cw-ranking" data-order={order.join(',')}
        style={{ flexBasis: '100%', display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 8 }}>
        <span style={{ fontSize: 13 }}>
          {left.length ? `Rank them: pick the ${order.length ? 'next best' : 'best'}` : 'Your ranking:'}
        </span>
        {order.map((s, i) => (
          <span key={s} className="cw-rank-picked" data-slot={s} style={{ fontSize: 13, fontWeight: 600 }}>
            {i + 1}. {s}
          </span>
        ))}
        {left.map((s) => (
          <button key={s} type="button" className="cw-rank" data-slot={s} disabled={disabled}
            onClick={() => setOrder([...order, s])} style={BUTTON}>{s}</button>
        ))}
        {order.length ? (
          <button type="button" className="cw-rank-clear" disabled={disabled}
            onClick={() => setOrder([])} style={{ ...BUTTON, color: 'hsl(var(--muted-foreground))' }}>
            Start over
          </button>
        ) : null}
        {!left.length ? (
          <button type="button" className="cw-rank-submit" disabled={disabled}
            onClick={() => send({ ranking: order })} style={{ ...BUTTON, fontWeight: 600 }}>
            Submit ranking {order.join(' > ')}
          </button>
        ) : null}
      </div>
    );
  }

  // Under a blind turn: one vote (or a reveal, which forfeits it), then what the vote said.
  function VoteBar({ battle, turnId, act }) {
    const options = battle.options || [];
    const ranking = battle.ranking || [];
    const button = BUTTON;
    const send = (payload) => act && act({ name: 'blind_vote', payload: { turn_id: turnId, ...payload } });
    return (
      <div className="cw-battle" data-revealed={battle.revealed ? 'true' : 'false'}
        data-voted={battle.voted ? 'true' : 'false'}
        style={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 8, marginTop: 10 }}>
        {options.length ? <span style={{ fontSize: 13 }}>Which answer is better?</span> : null}
        {options.map((o) => (
          <button key={o.winner} type="button" className="cw-vote" data-winner={o.winner}
            disabled={!battle.canVote} onClick={() => send({ winner: o.winner })} style={button}>
            {o.label}
          </button>
        ))}
        {ranking.length ? <RankPicker slots={ranking} disabled={!battle.canVote} send={send} /> : null}
        {options.length ? (
          <button type="button" className="cw-reveal" disabled={!battle.canVote}
            title="Show the models without voting (this turn then cannot be voted on)"
            onClick={() => send({ reveal: true })}
            style={{ ...button, marginLeft: 'auto', color: 'hsl(var(--muted-foreground))' }}>
            Reveal without voting
          </button>
        ) : null}
        {battle.busy ? <Loader2 style={{ width: 14, height: 14 }} className="animate-spin" /> : null}
        {battle.notice ? (
          <div className="cw-vote-notice" role="status" style={{ flexBasis: '100%', fontSize: 13,
            color: 'hsl(var(--muted-foreground))' }}>{battle.notice}</div>
        ) : null}
      </div>
    );
  }

  // Under an ended turn: fuse its answers with one agent into a new pane.
  function ActionBar({ actions, turnId, act }) {
    const agents = actions.fuseAgents || [];
    const [agent, setAgent] = useState('');
    const chosen = agents.includes(agent) ? agent : agents[0] || '';
    const fuse = (strategy) => act && act({ name: 'turn_fuse',
      payload: { turn_id: turnId, strategy, agent: chosen } });
    if (!actions.fuse && !actions.notice && !actions.busy) return null;
    return (
      <div className="cw-actions" data-busy={actions.busy ? 'true' : 'false'}
        style={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 8, marginTop: 10 }}>
        {actions.fuse ? (
          <>
            <Merge style={SMALL_ICON} />
            <span style={{ fontSize: 13 }}>{agents.length ? 'Fuse these answers with' : 'Fuse these answers'}</span>
            {agents.length > 1 ? (
              <select className="cw-fuse-agent" value={chosen} onChange={(e) => setAgent(e.target.value)}
                style={{ ...BUTTON, padding: '3px 6px' }}>
                {agents.map((a) => <option key={a} value={a}>{a}</option>)}
              </select>
            ) : agents.length ? <strong className="cw-fuse-agent-name" style={{ fontSize: 13 }}>{chosen}</strong> : null}
            {(actions.strategies || []).map((s) => (
              <button key={s.strategy} type="button" className="cw-fuse" data-strategy={s.strategy}
                onClick={() => fuse(s.strategy)} style={BUTTON}>{s.label}</button>
            ))}
          </>
        ) : null}
        {actions.busy ? <Loader2 style={{ width: 14, height: 14 }} className="animate-spin" /> : null}
        {actions.notice ? (
          <div className="cw-actions-notice" role="alert" style={{ flexBasis: '100%', fontSize: 13,
            padding: '6px 10px', borderRadius: 8, color: 'hsl(0 80% 58%)',
            background: 'hsl(0 80% 58% / 0.12)' }}>{actions.notice}</div>
        ) : null}
      </div>
    );
  }

  function AgentPanes(props) {
    const panes = props.panes || [];
    const finished = ['done', 'error', 'timeout', 'cancelled', 'interrupted'].includes(props.status);
    const pending = props.pendingAgents || [];
    const live = !finished;
    const seconds = useElapsedSeconds(live);
    // At most 3 columns (4 agents make a 2x2 grid); below the minimum width they stack.
    const columns = panes.length <= 3 ? Math.max(panes.length, 1) : 2;
    const minWidth = columns >= 3 ? 260 : 300;
    const actions = props.actions || {};
    const regenerate = (runId) => props.act && props.act({ name: 'turn_regenerate',
      payload: { turn_id: props.turnId, run_id: runId } });
    // a fused answer is not regenerated: the retry would not read the answers it fused
    const canRegenerate = (pane) => actions.regenerate && props.turnId && pane.runId && pane.footer
      && !(pane.badge || '').startsWith('Fusion');
    return (
      <div className="cw-turn" data-status={props.status} data-mode={props.mode || 'history'}
        data-blind={props.blind ? 'true' : 'false'}
        data-turn-id={props.turnId || ''} style={{ width: '100%', minWidth: 0 }}>
        {live && props.mode ? <Progress mode={props.mode} pending={pending} seconds={seconds} /> : null}
        {props.notice ? (
          <div className="cw-notice" role="alert" style={{ marginBottom: 10, padding: '8px 10px',
            borderRadius: 8, fontSize: 13, color: 'hsl(0 80% 58%)',
            background: 'hsl(0 80% 58% / 0.12)' }}>{props.notice}</div>
        ) : null}
        <div
          className="cw-panes"
          style={{
            display: 'grid',
            gap: 12,
            gridTemplateColumns: `repeat(auto-fit, minmax(min(100%, max(${minWidth}px, calc(${100 / columns}% - 12px))), 1fr))`,
            alignItems: 'stretch'
          }}
        >
          {panes.map((pane) => (
            <Pane key={pane.key} pane={pane} mode={props.mode} regenerate={canRegenerate(pane) ? regenerate : null} />
          ))}
        </div>
        {props.turnId ? <ActionBar actions={actions} turnId={props.turnId} act={props.act} /> : null}
        {props.battle && props.turnId ? (
          <VoteBar battle={props.battle} turnId={props.turnId} act={props.act} />
        ) : null}
      </div>
    );
  }

  return AgentPanes;
}

const cache = (window.__chatwaitElements = window.__chatwaitElements || {});
if (!cache[VERSION]) cache[VERSION] = build();
const AgentPanesView = cache[VERSION];

export default <AgentPanesView {...props} act={callAction} />;
