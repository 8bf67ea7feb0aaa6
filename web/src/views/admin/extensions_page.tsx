// A tenant's extensions: list, create (password generated and shown once, or typed), rename,
// delete. API validation errors appear beside the field the problem document names.
import { useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import type { Session } from '../../lib/api';
import type { Extension } from '../../lib/admin';
import { createExtension, deleteExtension, listExtensions, renameExtension } from '../../lib/admin_api';
import { FormError, TextField, useFormState } from './form_state';
import { InlineTextEditor, ResourcePage } from './resource_page';

interface Props {
  session: Session;
  domain: string;
}

export function ExtensionsPage({ session, domain }: Props) {
  return (
    <ResourcePage<Extension>
      headingId="extensions-heading" heading={`Extensions of ${domain}`} caption="Extensions" plural="extensions"
      load={(cursor) => listExtensions(domain, cursor)} moreText="More extensions" keyOf={(extension) => extension.number}
      columns={[
        { header: 'Number', cell: (extension) => extension.number },
        { header: 'Display name', cell: (extension) => extension.displayName || <span class="muted">—</span> },
      ]}
      cellEditor={{
        column: 1,
        button: 'Edit',
        label: (extension) => `Edit ${extension.number}`,
        render: (extension, close) => (
          <InlineTextEditor inputId={`display-name-${extension.number}`} formLabel={`Edit extension ${extension.number}`}
            inputLabel={`Display name of ${extension.number}`} initial={extension.displayName} close={close}
            save={(name) => renameExtension(session, domain, extension.number, name)} />
        ),
      }}
      deleteQuestion={(extension) => `Delete ${extension.number} and its registrations?`}
      remove={(extension) => deleteExtension(session, domain, extension.number)}
      form={(_existing, done) => <NewExtensionForm session={session} domain={domain} onCreated={done} />}
    />
  );
}

const FIELDS = ['number', 'display_name', 'password'] as const;

function createdNotice(number: string, password: string | null): ComponentChildren {
  return (
    <>
      Extension {number} was created.
      {password && (
        <>
          {' '}Its password is <code class="secret" aria-label={`Password of ${number}`}>{password}</code>.
          It is shown only this once: copy it now.
        </>
      )}
    </>
  );
}

function NewExtensionForm({ session, domain, onCreated }: {
  session: Session; domain: string; onCreated: (notice: ComponentChildren) => void;
}) {
  const [number, setNumber] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [passwordMode, setPasswordMode] = useState<'generate' | 'type'>('generate');
  const [password, setPassword] = useState('');
  const form = useFormState(FIELDS);

  function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (number.trim() === '') local.number = 'Enter the extension number.';
    if (passwordMode === 'type' && password === '') local.password = 'Type a password, or let Parley generate one.';
    void form.submit(local, async () => {
      const generated = await createExtension(session, domain, {
        number, displayName, password: passwordMode === 'type' ? password : null,
      });
      onCreated(createdNotice(number.trim(), generated));
      setNumber('');
      setDisplayName('');
      setPassword('');
    });
  }

  return (
    <form class="card admin-form" onSubmit={submit} aria-label="New extension" noValidate>
      <h3>New extension</h3>
      <TextField id="new-number" label="Number" value={number} onValue={setNumber} numeric error={form.errors.number}
        hint="2 to 15 digits, e.g. 1003." />
      <TextField id="new-display-name" label="Display name" value={displayName} onValue={setDisplayName}
        error={form.errors.display_name} />
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
        <TextField id="new-password" label="SIP password" type="password" autocomplete="new-password" value={password}
          onValue={setPassword} error={form.errors.password} hint="8 to 128 characters." />
      )}
      {passwordMode === 'generate' && form.errors.password && <p class="field-error" role="alert">{form.errors.password}</p>}
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>{form.busy ? 'Creating…' : 'Create extension'}</button>
    </form>
  );
}
