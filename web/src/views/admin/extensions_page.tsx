// A tenant's extensions: list, create (password generated and shown once, or typed), rename,
// delete. API validation errors appear beside the field the problem document names.
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import { splitApiError, type Extension } from '../../lib/admin';
import { createExtension, deleteExtension, listExtensions, renameExtension } from '../../lib/admin_api';
import { Field } from './field';

interface Props {
  session: Session;
  domain: string;
}

interface Created {
  number: string;
  password: string | null;
}

export function ExtensionsPage({ session, domain }: Props) {
  const [extensions, setExtensions] = useState<Extension[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [created, setCreated] = useState<Created | null>(null);

  function load() {
    setLoadError(null);
    listExtensions(domain)
      .then((page) => {
        setExtensions(page.items);
        setNextCursor(page.nextCursor);
      })
      .catch((caught: Error) => setLoadError(caught.message));
  }

  function loadMore() {
    if (!nextCursor) return;
    listExtensions(domain, nextCursor)
      .then((page) => {
        setExtensions((shown) => [...(shown ?? []), ...page.items]);
        setNextCursor(page.nextCursor);
      })
      .catch((caught: Error) => setLoadError(caught.message));
  }

  useEffect(load, [domain]);

  return (
    <section aria-labelledby="extensions-heading">
      <h2 id="extensions-heading">Extensions of {domain}</h2>
      {created && (
        <div class="notice" role="status">
          Extension {created.number} was created.
          {created.password && (
            <>
              {' '}Its password is <code class="secret" aria-label={`Password of ${created.number}`}>{created.password}</code>.
              It is shown only this once: copy it now.
            </>
          )}
          <button type="button" class="link" onClick={() => setCreated(null)}>Dismiss</button>
        </div>
      )}
      {loadError && <p class="error" role="alert">The extensions could not be loaded: {loadError}</p>}
      {!loadError && extensions === null && <p class="muted">Loading…</p>}
      {extensions && extensions.length === 0 && <p class="muted">No extensions yet.</p>}
      {extensions && extensions.length > 0 && (
        <table class="admin-table">
          <caption class="visually-hidden">Extensions</caption>
          <thead>
            <tr><th scope="col">Number</th><th scope="col">Display name</th><th scope="col">Actions</th></tr>
          </thead>
          <tbody>
            {extensions.map((extension) => (
              <ExtensionRow key={extension.number} session={session} domain={domain} extension={extension}
                onChanged={load} />
            ))}
          </tbody>
        </table>
      )}
      {nextCursor && <button type="button" onClick={loadMore}>More extensions</button>}
      <NewExtensionForm session={session} domain={domain}
        onCreated={(made) => {
          setCreated(made);
          load();
        }} />
    </section>
  );
}

function ExtensionRow({ session, domain, extension, onChanged }: {
  session: Session;
  domain: string;
  extension: Extension;
  onChanged: () => void;
}) {
  const [mode, setMode] = useState<'view' | 'edit' | 'confirm-delete'>('view');
  const [name, setName] = useState(extension.displayName);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const inputId = `display-name-${extension.number}`;

  async function save(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await renameExtension(session, domain, extension.number, name);
      setMode('view');
      onChanged();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The change failed.');
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await deleteExtension(session, domain, extension.number);
      onChanged();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The extension could not be deleted.');
      setBusy(false);
    }
  }

  return (
    <tr>
      <th scope="row">{extension.number}</th>
      <td>
        {mode === 'edit' ? (
          <form class="inline-form" onSubmit={save} aria-label={`Edit extension ${extension.number}`} noValidate>
            <label class="visually-hidden" for={inputId}>Display name of {extension.number}</label>
            <input id={inputId} value={name} onInput={(e) => setName(e.currentTarget.value)}
              aria-invalid={error ? true : undefined} aria-describedby={error ? `${inputId}-error` : undefined} />
            <button type="submit" class="primary" disabled={busy}>Save</button>
            <button type="button" onClick={() => { setMode('view'); setName(extension.displayName); setError(null); }}>
              Cancel
            </button>
          </form>
        ) : (
          extension.displayName || <span class="muted">—</span>
        )}
        {error && <p id={`${inputId}-error`} class="field-error" role="alert">{error}</p>}
      </td>
      <td class="actions">
        {mode === 'view' && (
          <>
            <button type="button" onClick={() => setMode('edit')} aria-label={`Edit ${extension.number}`}>Edit</button>
            <button type="button" onClick={() => setMode('confirm-delete')} aria-label={`Delete ${extension.number}`}>
              Delete
            </button>
          </>
        )}
        {mode === 'confirm-delete' && (
          <span role="group" aria-label={`Confirm deleting ${extension.number}`}>
            <span class="muted">Delete {extension.number} and its registrations?</span>{' '}
            <button type="button" class="danger" onClick={remove} disabled={busy}
              aria-label={`Yes, delete ${extension.number}`}>Yes, delete</button>
            <button type="button" onClick={() => setMode('view')}>Keep</button>
          </span>
        )}
      </td>
    </tr>
  );
}

const FIELDS = ['number', 'display_name', 'password'] as const;

function NewExtensionForm({ session, domain, onCreated }: {
  session: Session;
  domain: string;
  onCreated: (created: Created) => void;
}) {
  const [number, setNumber] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [passwordMode, setPasswordMode] = useState<'generate' | 'type'>('generate');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (number.trim() === '') local.number = 'Enter the extension number.';
    if (passwordMode === 'type' && password === '') local.password = 'Type a password, or let Parley generate one.';
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const generated = await createExtension(session, domain, {
        number,
        displayName,
        password: passwordMode === 'type' ? password : null,
      });
      onCreated({ number: number.trim(), password: generated });
      setNumber('');
      setDisplayName('');
      setPassword('');
    } catch (caught) {
      const split = splitApiError(caught, FIELDS);
      setErrors(split.fields);
      setFormError(split.form);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card admin-form" onSubmit={submit} aria-label="New extension" noValidate>
      <h3>New extension</h3>
      <Field id="new-number" label="Number" error={errors.number} hint="2 to 15 digits, e.g. 1003.">
        {(describedBy, invalid) => (
          <input id="new-number" inputMode="numeric" autocomplete="off" value={number}
            onInput={(e) => setNumber(e.currentTarget.value)}
            aria-describedby={describedBy} aria-invalid={invalid || undefined} />
        )}
      </Field>
      <Field id="new-display-name" label="Display name" error={errors.display_name}>
        {(describedBy, invalid) => (
          <input id="new-display-name" autocomplete="off" value={displayName}
            onInput={(e) => setDisplayName(e.currentTarget.value)}
            aria-describedby={describedBy} aria-invalid={invalid || undefined} />
        )}
      </Field>
      <fieldset class="choice">
        <legend>Password</legend>
        <label class="radio">
          <input type="radio" name="password-mode" checked={passwordMode === 'generate'}
            onChange={() => setPasswordMode('generate')} />
          Generate one (shown once)
        </label>
        <label class="radio">
          <input type="radio" name="password-mode" checked={passwordMode === 'type'}
            onChange={() => setPasswordMode('type')} />
          Type one
        </label>
      </fieldset>
      {passwordMode === 'type' && (
        <Field id="new-password" label="SIP password" error={errors.password} hint="8 to 128 characters.">
          {(describedBy, invalid) => (
            <input id="new-password" type="password" autocomplete="new-password" value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
              aria-describedby={describedBy} aria-invalid={invalid || undefined} />
          )}
        </Field>
      )}
      {passwordMode === 'generate' && errors.password && <p class="field-error" role="alert">{errors.password}</p>}
      {formError && <p class="error" role="alert">{formError}</p>}
      <button type="submit" class="primary" disabled={busy}>{busy ? 'Creating…' : 'Create extension'}</button>
    </form>
  );
}
