// A tenant's ring groups: list, create (members in hunt order, strategy, ring time, where an
// unanswered call goes), change the members, delete. Problem documents that name a field show
// their message beside that input.
import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import {
  createRingGroup, deleteRingGroup, listRingGroups, parseMembers, setRingGroupMembers,
  type RingGroup, type RingStrategy,
} from '../../lib/call_features';
import { FormError, SelectField, TextField, useFormState } from './form_state';
import { InlineTextEditor, ResourcePage, wholeList } from './resource_page';

interface Props {
  session: Session;
  domain: string;
}

export function RingGroupsPage({ session, domain }: Props) {
  return (
    <ResourcePage<RingGroup>
      headingId="ring-groups-heading" heading={`Ring groups of ${domain}`} caption="Ring groups"
      plural="ring groups" load={() => wholeList(listRingGroups(domain))} keyOf={(group) => group.number}
      columns={[
        { header: 'Number', cell: (group) => group.number },
        { header: 'Name', cell: (group) => group.name || <span class="muted">—</span> },
        {
          header: 'Strategy',
          cell: (group) => `${group.strategy === 'hunt' ? 'One after another' : 'All at once'}, ${group.memberTimeoutSeconds} s`,
        },
        { header: 'Members', cell: (group) => group.members.join(', ') || <span class="muted">none</span> },
        { header: 'If nobody answers', cell: (group) => (group.finalDestination === 'hangup' ? 'Hang up' : group.finalDestination) },
      ]}
      cellEditor={{
        column: 3,
        button: 'Edit members',
        label: (group) => `Edit members of ${group.number}`,
        render: (group, close) => (
          <InlineTextEditor inputId={`members-${group.number}`} formLabel={`Members of ring group ${group.number}`}
            inputLabel={`Members of ${group.number}`} initial={group.members.join(', ')} close={close}
            save={(members) => setRingGroupMembers(session, domain, group.number, parseMembers(members))} />
        ),
      }}
      deleteName={(group) => `ring group ${group.number}`}
      remove={(group) => deleteRingGroup(session, domain, group.number)}
      form={(_existing, done) => <NewRingGroupForm session={session} domain={domain} onCreated={done} />}
    />
  );
}

const FIELDS = ['number', 'name', 'strategy', 'member_timeout_seconds', 'members', 'final_destination'] as const;
const STRATEGIES = [['ring-all', 'All members at once'], ['hunt', 'One member after another']] as const;

function NewRingGroupForm({ session, domain, onCreated }: {
  session: Session; domain: string; onCreated: (notice: string) => void;
}) {
  const [number, setNumber] = useState('');
  const [name, setName] = useState('');
  const [strategy, setStrategy] = useState<RingStrategy>('ring-all');
  const [timeout, setTimeoutText] = useState('15');
  const [members, setMembers] = useState('');
  const [finalDestination, setFinalDestination] = useState('hangup');
  const form = useFormState(FIELDS);

  function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (number.trim() === '') local.number = 'Enter the ring group number.';
    const seconds = timeout.trim() === '' ? null : Number(timeout);
    if (seconds !== null && !Number.isInteger(seconds)) local.member_timeout_seconds = 'Enter whole seconds, 5 to 600.';
    void form.submit(local, async () => {
      await createRingGroup(session, domain, {
        number, name, strategy, memberTimeoutSeconds: seconds, members: parseMembers(members), finalDestination,
      });
      onCreated(`Ring group ${number.trim()} was created.`);
      setNumber('');
      setName('');
      setMembers('');
    });
  }

  return (
    <form class="card admin-form" onSubmit={submit} aria-label="New ring group" noValidate>
      <h3>New ring group</h3>
      <TextField id="group-number" label="Number" value={number} onValue={setNumber} numeric error={form.errors.number}
        hint="2 to 15 digits, not an extension's number." />
      <TextField id="group-name" label="Name" value={name} onValue={setName} error={form.errors.name} />
      <SelectField id="group-strategy" label="Ring" value={strategy} onValue={setStrategy} options={STRATEGIES}
        error={form.errors.strategy} />
      <TextField id="group-timeout" label="Ring time (seconds)" value={timeout} onValue={setTimeoutText} numeric
        error={form.errors.member_timeout_seconds} hint="5 to 600; per member when one after another." />
      <TextField id="group-members" label="Members" value={members} onValue={setMembers} error={form.errors.members}
        hint="Extension numbers in ringing order, e.g. 1001, 1002." />
      <TextField id="group-final" label="If nobody answers" value={finalDestination} onValue={setFinalDestination}
        error={form.errors.final_destination} hint="hangup, a number, voicemail:1001 or +49…." />
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>{form.busy ? 'Creating…' : 'Create ring group'}</button>
    </form>
  );
}
