import { useMemo, useState } from 'preact/hooks';
import { Api, type Tokens } from './api.js';
import { AlertsPanel } from './panels/alerts.js';
import { DeadLettersPanel } from './panels/dead-letters.js';
import { EconomyPanel } from './panels/economy.js';
import { LiveEventsPanel } from './panels/live-events.js';
import { SystemsPanel } from './panels/systems.js';
import { ThroughputPanel } from './panels/throughput.js';
import { TracePanel } from './panels/trace.js';
import { saveTokens, savedTokens } from './session.js';
import { SignIn } from './sign-in.js';
import { TabPanel, Tabs, type Panel } from './tabs.js';

/** The console: the sign-in form until an operator signs in, then the panels. */
export function App() {
  const [tokens, setTokens] = useState<Tokens | undefined>(savedTokens);
  const [panel, setPanel] = useState<Panel>('Live events');
  const [traceId, setTraceId] = useState<string | undefined>(undefined);
  const signedIn = (next: Tokens | undefined) => {
    saveTokens(next);
    setTokens(next);
  };
  // One client per sign-in: a refresh of its tokens is kept (for a reload) without making a new client,
  // so the live stream goes on; a refresh that fails signs out.
  const api = useMemo(
    () =>
      tokens === undefined
        ? undefined
        : new Api(tokens, (next) => (next === undefined ? signedIn(undefined) : saveTokens(next))),
    [tokens],
  );
  if (api === undefined) return <SignIn onSignedIn={signedIn} />;

  const openTrace = (correlationId: string) => {
    setTraceId(correlationId);
    setPanel('Trace');
  };
  return (
    <div class="console">
      <header>
        <h1>Weft operator console</h1>
        <button type="button" onClick={() => void api.signOut()} aria-label="Sign out">
          Sign out
        </button>
      </header>
      <Tabs current={panel} onSelect={setPanel} />
      <TabPanel panel="Live events" current={panel}>
        <LiveEventsPanel api={api} onTrace={openTrace} />
      </TabPanel>
      <TabPanel panel="Trace" current={panel}>
        <TracePanel api={api} correlationId={traceId} onTrace={setTraceId} />
      </TabPanel>
      <TabPanel panel="Systems" current={panel}>
        <SystemsPanel api={api} />
      </TabPanel>
      <TabPanel panel="Alerts" current={panel}>
        <AlertsPanel api={api} />
      </TabPanel>
      <TabPanel panel="Dead letters" current={panel}>
        <DeadLettersPanel api={api} onTrace={openTrace} />
      </TabPanel>
      <TabPanel panel="Economy" current={panel}>
        <EconomyPanel api={api} />
      </TabPanel>
      <TabPanel panel="Throughput" current={panel}>
        <ThroughputPanel api={api} />
      </TabPanel>
    </div>
  );
}
