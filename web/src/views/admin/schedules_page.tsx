// A tenant's time schedules: list, create, change, delete. A schedule sends callers to one
// destination during its open hours and to another outside them or on a holiday. Problem
// documents that name a field show their message beside that input.
import { useState } from 'preact/hooks';
import type { Session } from '../../lib/api';
import { deleteSchedule, listSchedules, saveSchedule, type Schedule } from '../../lib/ivr_voicemail';
import { FormError, TextField, useFormState } from './form_state';
import { ResourcePage } from './resource_page';

interface Props {
  session: Session;
  domain: string;
}

export function SchedulesPage({ session, domain }: Props) {
  return (
    <ResourcePage<Schedule>
      headingId="schedules-heading" heading={`Schedules of ${domain}`} caption="Schedules" plural="schedules"
      load={(cursor) => listSchedules(domain, cursor)} moreText="More schedules" keyOf={(schedule) => schedule.name}
      columns={[
        { header: 'Name', cell: (schedule) => schedule.name },
        { header: 'Number', cell: (schedule) => schedule.number || <span class="muted">—</span> },
        {
          header: 'Open',
          cell: (schedule) => `${schedule.hours || 'never'} (${schedule.timeZone || 'UTC'})`,
        },
        { header: 'Holidays', cell: (schedule) => schedule.holidays || <span class="muted">none</span> },
        { header: 'Destinations', cell: (schedule) => `open: ${schedule.openDestination}; closed: ${schedule.closedDestination}` },
      ]}
      change={{ button: 'Change', label: (schedule) => `Change schedule ${schedule.name}` }}
      deleteName={(schedule) => `schedule ${schedule.name}`}
      remove={(schedule) => deleteSchedule(session, domain, schedule.name)}
      form={(existing, done) => <ScheduleForm session={session} domain={domain} existing={existing} onDone={done} />}
    />
  );
}

const FIELDS = ['name', 'number', 'time_zone', 'hours', 'holidays', 'open_destination', 'closed_destination'] as const;
const EMPTY: Schedule = {
  name: '', number: '', timeZone: '', hours: 'mon-fri 09:00-17:00', holidays: '', openDestination: '', closedDestination: '',
};

function ScheduleForm({ session, domain, existing, onDone }: {
  session: Session; domain: string; existing: Schedule | null; onDone: (notice: string | null) => void;
}) {
  const [value, setValue] = useState<Schedule>(existing ?? EMPTY);
  const form = useFormState(FIELDS);
  const prefix = existing ? 'schedule-edit' : 'schedule';
  const set = (key: keyof Schedule) => (text: string) => setValue((before) => ({ ...before, [key]: text }));

  function submit(event: Event) {
    event.preventDefault();
    const local: Record<string, string> = {};
    if (!existing && !/^[a-z0-9_-]{1,32}$/.test(value.name.trim())) local.name = 'A name is 1 to 32 of a-z, 0-9, _ and -.';
    if (value.openDestination.trim() === '') local.open_destination = 'Say where callers go while open.';
    if (value.closedDestination.trim() === '') local.closed_destination = 'Say where callers go while closed.';
    void form.submit(local, async () => {
      await saveSchedule(session, domain, value, !existing);
      onDone(existing ? `Schedule ${existing.name} was changed.` : `Schedule ${value.name.trim()} was created.`);
      if (!existing) setValue(EMPTY);
    });
  }

  const title = existing ? `Change schedule ${existing.name}` : 'New schedule';
  return (
    <form class="card admin-form" onSubmit={submit} aria-label={title} noValidate>
      <h3>{title}</h3>
      {!existing && (
        <TextField id={`${prefix}-name`} label="Name" value={value.name} onValue={set('name')} error={form.errors.name}
          hint="a-z, 0-9, _ and -; menus and DIDs refer to it as schedule:NAME." />
      )}
      <TextField id={`${prefix}-number`} label="Number" value={value.number} onValue={set('number')} numeric
        error={form.errors.number} hint="Optional: 2 to 15 digits callers dial." />
      <TextField id={`${prefix}-zone`} label="Time zone" value={value.timeZone} onValue={set('timeZone')}
        error={form.errors.time_zone} hint="e.g. Europe/Berlin; empty for UTC." />
      <TextField id={`${prefix}-hours`} label="Open hours" value={value.hours} onValue={set('hours')} error={form.errors.hours}
        hint="e.g. mon-fri 09:00-17:00, sat 10:00-12:00." />
      <TextField id={`${prefix}-holidays`} label="Holidays" value={value.holidays} onValue={set('holidays')}
        error={form.errors.holidays} hint="Closed all day, e.g. 2026-12-25, 2027-01-01." />
      <TextField id={`${prefix}-open`} label="While open" value={value.openDestination} onValue={set('openDestination')}
        error={form.errors.open_destination} hint="a number, menu:NAME, voicemail:1001 or hangup." />
      <TextField id={`${prefix}-closed`} label="While closed" value={value.closedDestination} onValue={set('closedDestination')}
        error={form.errors.closed_destination} hint="a number, menu:NAME, voicemail:1001 or hangup." />
      <FormError message={form.formError} />
      <button type="submit" class="primary" disabled={form.busy}>
        {form.busy ? 'Saving…' : existing ? 'Save schedule' : 'Create schedule'}
      </button>
      {existing && <button type="button" onClick={() => onDone(null)}>Cancel</button>}
    </form>
  );
}
