import { navigate } from '../router';

export function AdminPlaceholder() {
  return (
    <main class="admin">
      <h1>Parley administration</h1>
      <p>The administration console is not built yet. Tenants and extensions are managed with the
        <code> parley tenant</code> and <code>parley user</code> commands for now.</p>
      <a
        href="/"
        onClick={(e) => {
          e.preventDefault();
          navigate('/');
        }}
      >
        Back to the softphone
      </a>
    </main>
  );
}
