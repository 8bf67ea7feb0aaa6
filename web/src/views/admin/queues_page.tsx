// A tenant's call queues: list, create, change (every setting and the members, in one request
// the server applies whole or not at all), delete. Problem documents that name a field show
// their message beside that input.
import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import { parseMembers } from '../../lib/call_features';
import {
  changeCallQueue, createCallQueue, deleteCallQueue, listCallQueues, QUEUE_STRATEGIES, STRATEGY_LABELS,
  wholeNumber, type CallQueue, type QueueStrategy,
} from '../../lib/rooms_queues';
import { FormError, SelectField, TextField, useFormState } from './form_state';
import { ResourcePage, wholeList } from './resource_page';

interface Props {
  session: Session;
  domain: string;
}

export function QueuesPage({ session, domain }: Props) {
  return (
    <ResourcePage<CallQueue>
      headingId="queues-heading" heading={`Call queues of ${domain}`} caption="Call queues"
      plural="call queues" load={() => wholeList(listCallQueues(domain))} keyOf={(queue) => queue.number}
      columns={[
        { header: 'Number', cell: (queue) => queue.number },
        { header: 'Name', cell: (queue) => queue.name || <span class="muted">—</span> },
        {
          header: 'Rings',
          cell: (queue) => `${STRATEGY_LABELS[queue.strategy]}, ${queue.ringTimeoutSeconds} s, wrap-up ${queue.wrapUpSeconds} s`,
        },
        {
          header: 'Limits',
          cell: (queue) => `${queue.maxWaitSeconds === 0 ? 'no wait limit' : `wait ≤ ${queue.maxWaitSeconds} s`}, ${
            queue.maxCallers === 0 ? 'any number waiting' : `≤ ${queue.maxCallers} waiting`}`,
        },
        { header: 'Members', cell: (queue) => queue.members.join(', ') || <span class="muted">none</span> },
        { header: 'Then', cell: (queue) => (queue.fallback === 'hangup' ? 'Hang up' : queue.fallback) },
      ]}
      change={{ button: 'Change', label: (queue) => `Change queue ${queue.number}` }}
      deleteName={(queue) => `queue ${queue.number}`}
      remove={(queue) => deleteCallQueue(session, domain, queue.number)}
      form={(existing, done) => <QueueForm session={session} domain={domain} existing={existing} onDone={done} />}
    />
  );
}

const FIELDS = [
  'number', 'name', 'strategy', 'ring_timeout_seconds', 'wrap_up_seconds', 'max_wait_seconds', 'max_callers',
  'fallback', 'members',
] as const;

function QueueForm({ session, domain, existing, onDone }: {
  session: Session; domain: string; existing: CallQueue | null; onDone: (message: string | null) => void;
}) {
  const [number, setNumber] = useState(existing?.number ?? '');
  const [name, setName] = useState(existing?.name ?? '');
  const [strategy, setStrategy] = useState<QueueStrategy>(existing?.strategy ?? 'ring-all');
  const [ring, setRing] = useState(String(existing?.ringTimeoutSeconds ?? 15));
  const [wrapUp, setWrapUp] = useState(String(existing?.wrapUpSeconds ?? 0));
  const [maxWait, setMaxWait] = useState(String(existing?.maxWaitSeconds ?? 300));
  const [maxCallers, setMaxCallers] = useState(String(existing?.maxCallers ?? 20));
  const [fallback, setFallback] = useState(existing?.fallback ?? 'hangup');
  const [members, setMembers] = useState(existing?.members.join(', ') ?? '');
  const form = useFormState(FIELDS);
  const prefix = existing ? 'queue-edit' : 'queue';

  function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!existing && number.trim() === '') local.number = 'Enter the queue number.';
    const numbers = { ring_timeout_seconds: ring, wrap_up_seconds: wrapUp, max_wait_seconds: maxWait, max_callers: maxCallers };
    for (const [field, value] of Object.entries(numbers)) {
      if (Number.isNaN(wholeNumber(value))) local[field] = 'Enter a whole number.';
    }
    const input = {
      name, strategy, fallback, members: parseMembers(members),
      ringTimeoutSeconds: wholeNumber(ring), wrapUpSeconds: wholeNumber(wrapUp),
      maxWaitSeconds: wholeNumber(maxWait), maxCallers: wholeNumber(maxCallers),
    };
    void form.submit(local, async () => {
      if (existing) {
        await changeCallQueue(session, domain, existing.number, input);
        onDone(`Queue ${existing.number} was changed.`);
      } else {
        await createCallQueue(session, domain, number, input);
        onDone(`Queue ${number.trim()} was created.`);
        setNumber('');
        setName('');
        setMembers('');
      }
    });
  }

  const title = existing ? `Change queue ${existing.number}` : 'New call queue';

  return (
    <form class="card admin-form" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      {!existing && (
        <TextField id={`${prefix}-number`} label="Number" value={number} onValue={setNumber} numeric error={form.errors.number}
          hint="2 to 15 digits, not yet used by an extension, group or room." />
      )}
      <TextField id={`${prefix}-name`} label="Name" value={name} onValue={setName} error={form.errors.name} />
      <SelectField id={`${prefix}-strategy`} label="Ring" value={strategy} onValue={setStrategy}
        options={QUEUE_STRATEGIES.map((s) => [s, STRATEGY_LABELS[s]] as const)} error={form.errors.strategy} />
      <TextField id={`${prefix}-ring`} label="Ring time (seconds)" value={ring} onValue={setRing} numeric
        error={form.errors.ring_timeout_seconds} hint="5 to 300, per try." />
      <TextField id={`${prefix}-wrap`} label="Wrap-up (seconds)" value={wrapUp} onValue={setWrapUp} numeric
        error={form.errors.wrap_up_seconds} hint="0 to 600: rest after a call." />
      <TextField id={`${prefix}-wait`} label="Longest wait (seconds)" value={maxWait} onValue={setMaxWait} numeric
        error={form.errors.max_wait_seconds} hint="0 for no limit, at most 86400." />
      <TextField id={`${prefix}-callers`} label="Most callers waiting" value={maxCallers} onValue={setMaxCallers} numeric
        error={form.errors.max_callers} hint="0 for no cap, at most 10000." />
      <TextField id={`${prefix}-members`} label="Members" value={members} onValue={setMembers} error={form.errors.members}
        hint="Extension numbers in ringing order, e.g. 1001, 1002." />
      <TextField id={`${prefix}-fallback`} label="When the wait ends" value={fallback} onValue={setFallback}
        error={form.errors.fallback} hint="hangup, voicemail:1001 or a number." />
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>
        {form.busy ? 'Saving…' : existing ? 'Save queue' : 'Create call queue'}
      </button>
      {existing && <button type="button" onClick={() => onDone(null)}>Cancel</button>}
    </form>
  );
}
