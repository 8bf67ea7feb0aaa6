import { useState } from 'preact/hooks';
import type { SignedIn } from '../app';
import { accountName, parseAccount } from '../lib/address';
import { ApiError, signIn } from '../lib/api';

interface Props {
  onSignedIn: (signedIn: SignedIn) => void;
}

export function SignIn({ onSignedIn }: Props) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    const account = parseAccount(name);
    if (!account.ok) {
      setError(account.error);
      return;
    }
    if (password === '') {
      setError('Enter your password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(accountName(account.value), password);
      onSignedIn({ session, password });
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'Sign-in failed unexpectedly.');
      setBusy(false);
    }
  }

  return (
    <main class="sign-in">
      <img class="logo" src="/icons/icon.svg" alt="" width={72} height={72} />
      <h1>Parley</h1>
      <form onSubmit={submit} aria-label="Sign in" noValidate>
        <label for="extension">Extension</label>
        <input
          id="extension"
          name="username"
          autocomplete="username"
          inputMode="text"
          placeholder="1001 or 1001@example.com"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          required
        />
        <p class="hint">Without a domain you sign in to this server's default organisation.</p>
        <label for="password">Password</label>
        <input
          id="password"
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
    </main>
  );
}
