import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import { ApiError, signOut } from '../../lib/api';
import { ADMIN_ROLES, adminSignIn } from '../../lib/admin_api';

interface Props {
  onSignedIn: (session: Session) => void;
  notice?: string | null;
}

export function AdminSignIn({ onSignedIn, notice }: Props) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (name.trim() === '') return setError('Enter your admin name.');
    if (password === '') return setError('Enter your password.');
    setBusy(true);
    setError(null);
    try {
      const session = await adminSignIn(name.trim(), password);
      if (!ADMIN_ROLES.includes(session.role)) {
        // An extension's SIP password also signs in, but only as a user of the softphone.
        await signOut(session).catch(() => undefined);
        setError('This account is not an administrator. Extensions sign in to the softphone.');
        setBusy(false);
        return;
      }
      onSignedIn(session);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Sign-in failed unexpectedly.');
      setBusy(false);
    }
  }

  return (
    <main class="sign-in admin">
      <img class="logo" src="/icons/icon.svg" alt="" width={72} height={72} />
      <h1>Parley administration</h1>
      {notice && <p class="muted" role="status">{notice}</p>}
      <form onSubmit={submit} aria-label="Admin sign in" noValidate>
        <label for="admin-name">Admin name</label>
        <input
          id="admin-name"
          name="username"
          autocomplete="username"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          required
        />
        <label for="admin-password">Password</label>
        <input
          id="admin-password"
          name="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          required
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="hint">
        <a href="/">Back to the softphone</a>
      </p>
    </main>
  );
}
