// The system admin's tenants: list, create (domain, display name, default), change the display
// name or make one the default, delete (with everything the tenant holds, after a confirmation
// that says so). A tenant admin never sees this page. Problem documents that name a field (a
// refused or taken domain) show their message beside that input. Every change also refreshes the
// console's tenant picker through `onTenantsChanged`.
import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import type { Tenant } from '../../lib/admin';
import { changeTenant, createTenant, deleteTenant, listTenants } from '../../lib/admin_api';
import { FormError, TextField, useFormState } from './form_state';
import { ResourcePage, wholeList } from './resource_page';

interface Props {
  session: Session;
  onTenantsChanged: () => void;
}

export function TenantsPage({ session, onTenantsChanged }: Props) {
  return (
    <ResourcePage<Tenant>
      headingId="tenants-heading" heading="Tenants" caption="Tenants" plural="tenants"
      load={() => wholeList(listTenants())} keyOf={(tenant) => tenant.domain}
      columns={[
        { header: 'Domain', cell: (tenant) => tenant.domain },
        { header: 'Display name', cell: (tenant) => tenant.displayName || <span class="muted">—</span> },
        { header: 'Default', cell: (tenant) => (tenant.isDefault ? 'Default' : '') },
      ]}
      change={{ button: 'Change', label: (tenant) => `Change tenant ${tenant.domain}` }}
      deleteName={(tenant) => `tenant ${tenant.domain}`}
      deleteQuestion={(tenant) =>
        `Delete ${tenant.domain} with all its extensions, registrations, call records, admins and tokens?`}
      remove={async (tenant) => {
        await deleteTenant(session, tenant.domain);
        onTenantsChanged();
      }}
      form={(existing, done) => (
        <TenantForm session={session} existing={existing}
          onDone={(notice) => { if (notice) onTenantsChanged(); done(notice); }} />
      )}
    />
  );
}

const FIELDS = ['domain', 'display_name', 'is_default'] as const;

function TenantForm({ session, existing, onDone }: {
  session: Session; existing: Tenant | null; onDone: (notice: string | null) => void;
}) {
  const [domain, setDomain] = useState('');
  const [displayName, setDisplayName] = useState(existing?.displayName ?? '');
  const [isDefault, setIsDefault] = useState(existing?.isDefault ?? false);
  const form = useFormState(FIELDS);
  const prefix = existing ? 'tenant-edit' : 'tenant';
  const title = existing ? `Change tenant ${existing.domain}` : 'New tenant';

  function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!existing && domain.trim() === '') local.domain = 'Enter the tenant\'s SIP domain, e.g. example.com.';
    void form.submit(local, async () => {
      if (existing) {
        await changeTenant(session, existing, { displayName, isDefault });
        onDone(`Tenant ${existing.domain} was changed.`);
        return;
      }
      await createTenant(session, domain, { displayName, isDefault });
      onDone(`Tenant ${domain.trim().toLowerCase()} was created.`);
      setDomain('');
      setDisplayName('');
      setIsDefault(false);
    });
  }

  return (
    <form class="card admin-form" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      {!existing && (
        <TextField id={`${prefix}-domain`} label="Domain" value={domain} onValue={setDomain} error={form.errors.domain}
          hint="The SIP domain phones register with: a host name such as example.com, or an IPv4 address." />
      )}
      <TextField id={`${prefix}-display-name`} label="Display name" value={displayName} onValue={setDisplayName}
        error={form.errors.display_name} />
      <label class="checkbox">
        <input type="checkbox" checked={isDefault} onChange={(e) => setIsDefault(e.currentTarget.checked)} />
        Default tenant (phones that use the server's address as their domain belong to it)
      </label>
      {form.errors.is_default && <p class="field-error" role="alert">{form.errors.is_default}</p>}
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>
        {form.busy ? 'Saving…' : existing ? 'Save tenant' : 'Create tenant'}
      </button>
      {existing && <button type="button" onClick={() => onDone(null)}>Cancel</button>}
    </form>
  );
}
