/**
 * Who the user is to the server: when auth is on, the app asks for an API key (kept in
 * sessionStorage), then learns the key's role with the no-op `ping` mutation, so that readers
 * see no write actions.
 */
import { createContext, useContext, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { apiKey, gql, GraphQLRequestError, onApiKeyChange, setApiKey } from './api';
import { ErrorView, Loading } from './ui';

export interface Session {
  auth: 'required' | 'off';
  version: string;
  backend: string;
  canWrite: boolean;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside <SessionGate>');
  return session;
}

type GateState =
  | { kind: 'loading' }
  | { kind: 'ready'; session: Session }
  | { kind: 'needKey'; reason: GraphQLRequestError | null }
  | { kind: 'error'; error: Error };

async function discover(): Promise<GateState> {
  try {
    const { serverInfo } = await gql<{ serverInfo: Omit<Session, 'canWrite'> }>(
      '{ serverInfo { auth version backend } }',
    );
    if (serverInfo.auth === 'off') return { kind: 'ready', session: { ...serverInfo, canWrite: true } };
    let canWrite = true;
    try {
      await gql('mutation WriteAccess { ping }');
    } catch (error) {
      if (error instanceof GraphQLRequestError && error.code === 'FORBIDDEN') canWrite = false;
      else throw error;
    }
    return { kind: 'ready', session: { ...serverInfo, canWrite } };
  } catch (error) {
    if (error instanceof GraphQLRequestError && error.code === 'UNAUTHENTICATED') {
      return { kind: 'needKey', reason: apiKey() ? error : null };
    }
    return { kind: 'error', error: error as Error };
  }
}

export function SessionGate({
  children,
  frame,
}: {
  children: ReactNode;
  /** Wraps what is shown before there is a session (connecting, the key prompt, an error). */
  frame: (body: ReactNode) => ReactNode;
}) {
  const [state, setState] = useState<GateState>({ kind: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => onApiKeyChange(() => setTick((n) => n + 1)), []);
  useEffect(() => {
    let live = true;
    setState({ kind: 'loading' });
    void discover().then((next) => live && setState(next));
    return () => {
      live = false;
    };
  }, [tick]);
  if (state.kind === 'loading') return frame(<Loading what="Connecting" />);
  if (state.kind === 'error')
    return frame(<ErrorView error={state.error} retry={() => setTick((n) => n + 1)} />);
  if (state.kind === 'needKey') return frame(<KeyPrompt reason={state.reason} />);
  return <SessionContext.Provider value={state.session}>{children}</SessionContext.Provider>;
}

function KeyPrompt({ reason }: { reason: GraphQLRequestError | null }) {
  const [value, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (value.trim()) setApiKey(value.trim());
  };
  return (
    <section className="key-prompt" data-testid="key-prompt">
      <h1>API key needed</h1>
      <p>
        This server requires an API key (<code>qdc keys create</code> makes one). It is kept in this browser
        tab only (sessionStorage) and sent as <code>Authorization: Bearer …</code>.
      </p>
      {reason && <ErrorView error={reason} />}
      <form onSubmit={submit}>
        <input
          type="password"
          name="apiKey"
          autoComplete="off"
          placeholder="qdc_…"
          value={value}
          onChange={(event) => setValue(event.target.value)}
          aria-label="API key"
        />
        <button type="submit">Use this key</button>
      </form>
    </section>
  );
}

export function SessionBadge() {
  const session = useSession();
  if (session.auth === 'off') return <span className="badge">auth off</span>;
  return (
    <span className="badge" data-testid="session-badge">
      {session.canWrite ? 'writer' : 'reader'}{' '}
      <button type="button" className="link" onClick={() => setApiKey(null)}>
        forget key
      </button>
    </span>
  );
}
