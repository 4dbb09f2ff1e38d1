import { useState } from 'preact/hooks';
import { Api, ApiError, type Tokens } from './api.js';

/**
 * The sign-in form: an auth_user account with the admin role. A player's account signs in but is
 * refused here, with a sentence saying why, and its session is left as it was.
 */
export function SignIn(props: { readonly onSignedIn: (tokens: Tokens) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const tokens = await Api.signIn(username, password);
      const me = await new Api(tokens, () => undefined).get<{ roles: string[] }>('/me');
      if (!me.roles.includes('admin')) {
        setError(`${username} is a player account: the console is for operators (the admin role).`);
        return;
      }
      props.onSignedIn(tokens);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : 'The server could not be reached.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <h1>Weft operator console</h1>
      <form onSubmit={(event) => void submit(event)} aria-label="Sign in">
        <label>
          Username
          <input
            name="username"
            autocomplete="username"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error !== undefined && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
      <p class="hint">
        The first admin is “admin”; its password is WEFT_ADMIN_PASSWORD, or the one the server logged at its first
        start.
      </p>
    </main>
  );
}
