// A tenant's IVR menus (auto attendants): list, create, change (settings and the digit options
// in one request the server applies whole or not at all), delete. A WAV greeting is set with the
// CLI; the page shows that a menu has one. Problem documents that name a field show their
// message beside that input.
import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import {
  deleteIvrMenu, formatOptions, listIvrMenus, parseOptions, saveIvrMenu, type IvrMenu,
} from '../../lib/ivr_voicemail';
import { wholeNumber } from '../../lib/rooms_queues';
import { FormError, TextField, useFormState } from './form_state';
import { ResourcePage } from './resource_page';

interface Props {
  session: Session;
  domain: string;
}

export function IvrsPage({ session, domain }: Props) {
  return (
    <ResourcePage<IvrMenu>
      headingId="ivrs-heading" heading={`IVR menus of ${domain}`} caption="IVR menus" plural="IVR menus"
      load={(cursor) => listIvrMenus(domain, cursor)} moreText="More menus" keyOf={(menu) => menu.name}
      columns={[
        { header: 'Name', cell: (menu) => menu.name },
        { header: 'Number', cell: (menu) => menu.number || <span class="muted">—</span> },
        {
          header: 'Greeting',
          cell: (menu) => (menu.hasGreetingFile ? 'Recorded file' : menu.greetingText || <span class="muted">none</span>),
        },
        { header: 'Options', cell: (menu) => formatOptions(menu.options) || <span class="muted">none</span> },
        {
          header: 'Then',
          cell: (menu) => `${menu.timeoutSeconds} s × ${menu.maxAttempts}, then ${menu.fallback}${menu.directDial ? '; direct dial' : ''}`,
        },
      ]}
      change={{ button: 'Change', label: (menu) => `Change menu ${menu.name}` }}
      deleteName={(menu) => `menu ${menu.name}`}
      remove={(menu) => deleteIvrMenu(session, domain, menu.name)}
      form={(existing, done) => <IvrForm session={session} domain={domain} existing={existing} onDone={done} />}
    />
  );
}

const FIELDS = ['name', 'number', 'greeting_text', 'timeout_seconds', 'max_attempts', 'fallback', 'options'] as const;

function IvrForm({ session, domain, existing, onDone }: {
  session: Session; domain: string; existing: IvrMenu | null; onDone: (notice: string | null) => void;
}) {
  const [name, setName] = useState(existing?.name ?? '');
  const [number, setNumber] = useState(existing?.number ?? '');
  const [greeting, setGreeting] = useState(existing?.greetingText ?? '');
  const [timeout, setTimeoutText] = useState(String(existing?.timeoutSeconds ?? 5));
  const [attempts, setAttempts] = useState(String(existing?.maxAttempts ?? 3));
  const [fallback, setFallback] = useState(existing?.fallback ?? 'hangup');
  const [directDial, setDirectDial] = useState(existing?.directDial ?? false);
  const [options, setOptions] = useState(existing ? formatOptions(existing.options) : '');
  const form = useFormState(FIELDS);
  const prefix = existing ? 'ivr-edit' : 'ivr';

  function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!existing && !/^[a-z0-9_-]{1,32}$/.test(name.trim())) local.name = 'A name is 1 to 32 of a-z, 0-9, _ and -.';
    if (Number.isNaN(wholeNumber(timeout))) local.timeout_seconds = 'Enter whole seconds, 1 to 60.';
    if (Number.isNaN(wholeNumber(attempts))) local.max_attempts = 'Enter a whole number, 1 to 10.';
    const parsed = parseOptions(options);
    if (!parsed) local.options = 'Write each option as DIGIT=destination, e.g. 1=1001, 2=menu:sales.';
    void form.submit(local, async () => {
      const input = {
        number, greetingText: greeting, timeoutSeconds: wholeNumber(timeout), maxAttempts: wholeNumber(attempts),
        fallback, directDial, options: parsed ?? [],
      };
      await saveIvrMenu(session, domain, existing?.name ?? name, input, !existing);
      onDone(existing ? `Menu ${existing.name} was changed.` : `Menu ${name.trim()} was created.`);
      if (!existing) {
        setName('');
        setNumber('');
        setOptions('');
      }
    });
  }

  const title = existing ? `Change menu ${existing.name}` : 'New IVR menu';
  return (
    <form class="card admin-form" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      {!existing && (
        <TextField id={`${prefix}-name`} label="Name" value={name} onValue={setName} error={form.errors.name}
          hint="a-z, 0-9, _ and -; other menus, schedules and DIDs refer to it as menu:NAME." />
      )}
      <TextField id={`${prefix}-number`} label="Number" value={number} onValue={setNumber} numeric error={form.errors.number}
        hint="Optional: 2 to 15 digits callers dial." />
      <TextField id={`${prefix}-greeting`} label="Greeting" value={greeting} onValue={setGreeting}
        error={form.errors.greeting_text} hint="Spoken to callers, e.g. “For sales press 1.”" />
      <TextField id={`${prefix}-options`} label="Options" value={options} onValue={setOptions} error={form.errors.options}
        hint="DIGIT=destination, comma separated: a number, menu:NAME, schedule:NAME, voicemail:1001 or hangup." />
      <TextField id={`${prefix}-timeout`} label="Wait for a digit (seconds)" value={timeout} onValue={setTimeoutText} numeric
        error={form.errors.timeout_seconds} hint="1 to 60." />
      <TextField id={`${prefix}-attempts`} label="Attempts" value={attempts} onValue={setAttempts} numeric
        error={form.errors.max_attempts} hint="1 to 10 timeouts or wrong digits before the fallback." />
      <TextField id={`${prefix}-fallback`} label="Then" value={fallback} onValue={setFallback} error={form.errors.fallback}
        hint="hangup, a number, menu:NAME or voicemail:1001." />
      <label class="checkbox">
        <input type="checkbox" checked={directDial} onChange={(e) => setDirectDial(e.currentTarget.checked)} />
        Callers may dial an extension directly
      </label>
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>
        {form.busy ? 'Saving…' : existing ? 'Save menu' : 'Create IVR menu'}
      </button>
      {existing && <button type="button" onClick={() => onDone(null)}>Cancel</button>}
    </form>
  );
}
