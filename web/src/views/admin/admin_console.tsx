// The admin console at /admin: sign-in, then one tenant's dashboard (live counts over WebSocket,
// charts), extensions, ring groups, forwarding, conference rooms, call queues, IVR menus,
// schedules, voicemail boxes, call records, recordings, live registrations and devices. A system
// admin picks the tenant and has the Tenants page too; a tenant admin sees only its own tenant
// and never the Tenants page (the API refuses it those changes anyway).
import { useEffect, useState } from 'preact/hooks';
import { currentSession, signOut, type Session } from '../../lib/api';
import { adminPageOf, SYSTEM_ADMIN_PAGES, type AdminPage, type Tenant } from '../../lib/admin';
import { ADMIN_ROLES, listTenants } from '../../lib/admin_api';
import { AdminSignIn } from './admin_sign_in';
import { CallRecordsPage } from './call_records_page';
import { ConferenceRoomsPage } from './conference_rooms_page';
import { DashboardPage } from './dashboard_page';
import { ExtensionsPage } from './extensions_page';
import { ForwardingPage } from './forwarding_page';
import { IvrsPage } from './ivrs_page';
import { QueuesPage } from './queues_page';
import { RecordingsPage } from './recordings_page';
import { RingGroupsPage } from './ring_groups_page';
import { RegistrationsPage } from './registrations_page';
import { DevicesPage } from './devices_page';
import { SchedulesPage } from './schedules_page';
import { TenantsPage } from './tenants_page';
import { VoicemailPage } from './voicemail_page';

// Remembers for this tab that a cookie session probably exists, so a reload asks the API who is
// signed in; without the mark no probe is made (its 401 would be a console error on every visit).
const SIGNED_IN_MARK = 'parley.admin.signed-in';

const PAGE_TITLES: Record<AdminPage, string> = {
  dashboard: 'Dashboard',
  extensions: 'Extensions',
  'ring-groups': 'Ring groups',
  forwarding: 'Forwarding',
  rooms: 'Conference rooms',
  queues: 'Call queues',
  ivrs: 'IVR menus',
  schedules: 'Schedules',
  voicemail: 'Voicemail',
  calls: 'Call records',
  recordings: 'Recordings',
  registrations: 'Registrations',
  devices: 'Devices',
  tenants: 'Tenants',
};

function usePage(systemAdmin: boolean): AdminPage {
  const [page, setPage] = useState(adminPageOf(location.hash, systemAdmin));
  useEffect(() => {
    const onChange = () => setPage(adminPageOf(location.hash, systemAdmin));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return page;
}

export function AdminConsole() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(() => sessionStorage.getItem(SIGNED_IN_MARK) === '1');
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    if (!checking) return;
    currentSession()
      .then((found) => {
        if (found && ADMIN_ROLES.includes(found.role)) setSession(found);
        else sessionStorage.removeItem(SIGNED_IN_MARK);
      })
      .catch(() => sessionStorage.removeItem(SIGNED_IN_MARK))
      .finally(() => setChecking(false));
  }, []);

  if (checking) return <main class="admin"><p class="muted">Loading…</p></main>;
  if (!session) {
    return (
      <AdminSignIn
        notice={notice}
        onSignedIn={(signedIn) => {
          sessionStorage.setItem(SIGNED_IN_MARK, '1');
          setNotice(null);
          setSession(signedIn);
        }}
      />
    );
  }
  return (
    <SignedInConsole
      session={session}
      onSignedOut={() => {
        sessionStorage.removeItem(SIGNED_IN_MARK);
        setNotice('You are signed out.');
        setSession(null);
      }}
    />
  );
}

function SignedInConsole({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const isSystemAdmin = session.role === 'system_admin';
  const page = usePage(isSystemAdmin);
  const [tenants, setTenants] = useState<Tenant[] | null>(null);
  const [tenant, setTenant] = useState<string>(isSystemAdmin ? '' : session.tenant);
  const [error, setError] = useState<string | null>(null);

  // The picker follows the Tenants page: a new tenant appears, a deleted one gives way to the
  // default (or the first).
  function loadTenants() {
    listTenants()
      .then((list) => {
        setError(null);
        setTenants(list);
        setTenant((chosen) => (list.some((t) => t.domain === chosen)
          ? chosen : (list.find((t) => t.isDefault) ?? list[0])?.domain || ''));
      })
      .catch((caught: Error) => setError(`The tenants could not be loaded: ${caught.message}`));
  }

  useEffect(() => {
    if (isSystemAdmin) loadTenants();
  }, [isSystemAdmin]);

  useEffect(() => {
    document.title = `${PAGE_TITLES[page]} · Parley administration`;
  }, [page]);

  async function leave() {
    await signOut(session).catch(() => undefined);
    onSignedOut();
  }

  return (
    <div class="console">
      <header class="console-header">
        <h1>Parley administration</h1>
        <p class="me">
          {session.username} ({isSystemAdmin ? 'system admin' : `admin of ${session.tenant}`})
        </p>
        <button type="button" onClick={leave}>Sign out</button>
      </header>
      <nav class="console-nav" aria-label="Admin pages">
        {(Object.keys(PAGE_TITLES) as AdminPage[])
          .filter((name) => isSystemAdmin || !SYSTEM_ADMIN_PAGES.includes(name)).map((name) => (
          <a key={name} href={`#${name}`} aria-current={page === name ? 'page' : undefined}>
            {PAGE_TITLES[name]}
          </a>
        ))}
        {isSystemAdmin && (
          <span class="tenant-picker">
            <label for="tenant">Tenant</label>
            <select id="tenant" value={tenant} onChange={(e) => setTenant(e.currentTarget.value)} disabled={!tenants}>
              {(tenants ?? []).map((t) => (
                <option key={t.domain} value={t.domain}>
                  {t.displayName ? `${t.displayName} (${t.domain})` : t.domain}
                </option>
              ))}
            </select>
          </span>
        )}
      </nav>
      <main class="console-main">
        {error && <p class="error" role="alert">{error}</p>}
        {isSystemAdmin && page !== 'tenants' && tenants && tenants.length === 0 && (
          <p class="muted">There is no tenant yet. Add one on the <a href="#tenants">Tenants</a> page.</p>
        )}
        {isSystemAdmin && page === 'tenants' && <TenantsPage session={session} onTenantsChanged={loadTenants} />}
        {tenant && page === 'dashboard' && <DashboardPage key={tenant} domain={tenant} />}
        {tenant && page === 'extensions' && <ExtensionsPage key={tenant} session={session} domain={tenant} />}
        {tenant && page === 'ring-groups' && <RingGroupsPage key={tenant} session={session} domain={tenant} />}
        {tenant && page === 'forwarding' && <ForwardingPage key={tenant} session={session} domain={tenant} />}
        {tenant && page === 'rooms' && <ConferenceRoomsPage key={tenant} session={session} domain={tenant} />}
        {tenant && page === 'queues' && <QueuesPage key={tenant} session={session} domain={tenant} />}
        {tenant && page === 'ivrs' && <IvrsPage key={tenant} session={session} domain={tenant} />}
        {tenant && page === 'schedules' && <SchedulesPage key={tenant} session={session} domain={tenant} />}
        {tenant && page === 'voicemail' && <VoicemailPage key={tenant} session={session} domain={tenant} />}
        {tenant && page === 'calls' && <CallRecordsPage key={tenant} domain={tenant} />}
        {tenant && page === 'recordings' && <RecordingsPage key={tenant} domain={tenant} />}
        {tenant && page === 'registrations' && <RegistrationsPage key={tenant} session={session} domain={tenant} />}
        {tenant && page === 'devices' && <DevicesPage key={tenant} session={session} domain={tenant} />}
      </main>
    </div>
  );
}
