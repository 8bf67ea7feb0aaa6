// A tenant's ring groups: list, create (members in hunt order, strategy, ring time, where an
// unanswered call goes), change every setting in place (one request the server applies whole or
// not at all) or just the members in their cell, delete. Problem documents that name a field show
// their message beside that input.
import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import {
  changeRingGroup, createRingGroup, deleteRingGroup, listRingGroups, parseMembers, setRingGroupMembers,
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
      change={{ button: 'Change', label: (group) => `Change ring group ${group.number}` }}
      deleteName={(group) => `ring group ${group.number}`}
      remove={(group) => deleteRingGroup(session, domain, group.number)}
      form={(existing, done) => <RingGroupForm session={session} domain={domain} existing={existing} onDone={done} />}
    />
  );
}

const FIELDS = ['number', 'name', 'strategy', 'member_timeout_seconds', 'members', 'final_destination'] as const;
const STRATEGIES = [['ring-all', 'All members at once'], ['hunt', 'One member after another']] as const;

function RingGroupForm({ session, domain, existing, onDone }: {
  session: Session; domain: string; existing: RingGroup | null; onDone: (notice: string | null) => void;
}) {
  const [number, setNumber] = useState(existing?.number ?? '');
  const [name, setName] = useState(existing?.name ?? '');
  const [strategy, setStrategy] = useState<RingStrategy>(existing?.strategy ?? 'ring-all');
  const [timeout, setTimeoutText] = useState(String(existing?.memberTimeoutSeconds ?? 15));
  const [members, setMembers] = useState(existing?.members.join(', ') ?? '');
  const [finalDestination, setFinalDestination] = useState(existing?.finalDestination ?? 'hangup');
  const form = useFormState(FIELDS);
  const prefix = existing ? 'group-edit' : 'group';
  const title = existing ? `Change ring group ${existing.number}` : 'New ring group';

  function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!existing && number.trim() === '') local.number = 'Enter the ring group number.';
    const seconds = timeout.trim() === '' ? null : Number(timeout);
    if (seconds !== null && !Number.isInteger(seconds)) local.member_timeout_seconds = 'Enter whole seconds, 5 to 600.';
    const settings = { name, strategy, memberTimeoutSeconds: seconds, members: parseMembers(members), finalDestination };
    void form.submit(local, async () => {
      if (existing) {
        await changeRingGroup(session, domain, existing.number, settings);
        onDone(`Ring group ${existing.number} was changed.`);
        return;
      }
      await createRingGroup(session, domain, { number, ...settings });
      onDone(`Ring group ${number.trim()} was created.`);
      setNumber('');
      setName('');
      setMembers('');
    });
  }

  return (
    <form class="card admin-form" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      {!existing && (
        <TextField id={`${prefix}-number`} label="Number" value={number} onValue={setNumber} numeric error={form.errors.number}
          hint="2 to 15 digits, not an extension's number." />
      )}
      <TextField id={`${prefix}-name`} label="Name" value={name} onValue={setName} error={form.errors.name} />
      <SelectField id={`${prefix}-strategy`} label="Ring" value={strategy} onValue={setStrategy} options={STRATEGIES}
        error={form.errors.strategy} />
      <TextField id={`${prefix}-timeout`} label="Ring time (seconds)" value={timeout} onValue={setTimeoutText} numeric
        error={form.errors.member_timeout_seconds} hint="5 to 600; per member when one after another." />
      <TextField id={`${prefix}-members`} label="Members" value={members} onValue={setMembers} error={form.errors.members}
        hint="Extension numbers in ringing order, e.g. 1001, 1002." />
      <TextField id={`${prefix}-final`} label="If nobody answers" value={finalDestination} onValue={setFinalDestination}
        error={form.errors.final_destination} hint="hangup, a number, voicemail:1001 or +49…." />
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>
        {form.busy ? 'Saving…' : existing ? 'Save ring group' : 'Create ring group'}
      </button>
      {existing && <button type="button" onClick={() => onDone(null)}>Cancel</button>}
    </form>
  );
}
