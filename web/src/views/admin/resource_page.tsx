// The one list/edit pattern of the admin console's tenant resources (extensions, ring groups,
// conference rooms, call queues, IVR menus, schedules, voicemail boxes): a heading, a notice
// after a change, the table with a row header per item, a Change button that opens the page's
// form for that item (or an editor inside one cell), Delete with a confirmation, "More" for the
// next page, and the page's form for a new item below. Pages say only their columns, labels,
// REST calls and form.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Page } from '../../lib/admin';

export interface Column<T> {
  header: string;
  cell: (item: T) => ComponentChildren;
}

/** An editor shown in one cell of the row in place of its content (e.g. a member list). */
export interface CellEditor<T> {
  column: number;
  button: string;
  label: (item: T) => string;
  render: (item: T, close: (changed: boolean) => void) => ComponentChildren;
}

export interface ResourcePageProps<T> {
  headingId: string;
  heading: string;
  caption: string;
  /** "conference rooms": "The conference rooms could not be loaded", "No conference rooms yet." */
  plural: string;
  emptyText?: string;
  load: (cursor: string | null) => Promise<Page<T>>;
  moreText?: string;
  keyOf: (item: T) => string;
  columns: Column<T>[];
  /** Opens `form(item)` in place of the new-item form. */
  change?: { button: string; label: (item: T) => string };
  cellEditor?: CellEditor<T>;
  /** "conference room 800" gives "Delete conference room 800" and "Yes, delete …". */
  deleteName?: (item: T) => string;
  deleteQuestion?: (item: T) => string;
  remove?: (item: T) => Promise<void>;
  /** The page's form: `existing` null for a new item; `done` with a notice (or null) closes it. */
  form?: (existing: T | null, done: (notice: ComponentChildren | null) => void) => ComponentChildren;
  /** Another view of the chosen item (a voicemail box's messages), below the table. */
  detail?: (item: T, close: () => void) => ComponentChildren;
  detailButton?: { button: string; label: (item: T) => string };
}

/** A whole list as one page, for the endpoints read with limit=1000 and no cursor. */
export async function wholeList<T>(items: Promise<T[]>): Promise<Page<T>> {
  return { items: await items, nextCursor: null };
}

export function ResourcePage<T>(props: ResourcePageProps<T>) {
  const [items, setItems] = useState<T[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [notice, setNotice] = useState<ComponentChildren | null>(null);
  const [editing, setEditing] = useState<T | null>(null);
  const [shown, setShown] = useState<string | null>(null);

  function load() {
    setLoadError(null);
    props.load(null)
      .then((page) => {
        setItems(page.items);
        setNextCursor(page.nextCursor);
      })
      .catch((caught: Error) => setLoadError(caught.message));
  }

  function loadMore() {
    if (!nextCursor) return;
    props.load(nextCursor)
      .then((page) => {
        setItems((before) => [...(before ?? []), ...page.items]);
        setNextCursor(page.nextCursor);
      })
      .catch((caught: Error) => setLoadError(caught.message));
  }

  useEffect(load, []);
  const detailItem = shown === null ? null : (items ?? []).find((item) => props.keyOf(item) === shown) ?? null;

  return (
    <section aria-labelledby={props.headingId}>
      <h2 id={props.headingId}>{props.heading}</h2>
      {notice && (
        <div class="notice" role="status">
          {notice}{' '}
          <button type="button" class="link" onClick={() => setNotice(null)}>Dismiss</button>
        </div>
      )}
      {loadError && <p class="error" role="alert">The {props.plural} could not be loaded: {loadError}</p>}
      {!loadError && items === null && <p class="muted">Loading…</p>}
      {items && items.length === 0 && <p class="muted">{props.emptyText ?? `No ${props.plural} yet.`}</p>}
      {items && items.length > 0 && (
        <table class="admin-table">
          <caption class="visually-hidden">{props.caption}</caption>
          <thead>
            <tr>
              {props.columns.map((column) => <th key={column.header} scope="col">{column.header}</th>)}
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <ResourceRow key={props.keyOf(item)} page={props} item={item} onChanged={load}
                onChange={() => setEditing(item)} onDetail={() => setShown(props.keyOf(item))} />
            ))}
          </tbody>
        </table>
      )}
      {nextCursor && <button type="button" onClick={loadMore}>{props.moreText ?? 'More'}</button>}
      {detailItem && props.detail?.(detailItem, () => setShown(null))}
      {props.form && (editing
        ? <div key={`edit-${props.keyOf(editing)}`}>
            {props.form(editing, (message) => { setEditing(null); if (message) setNotice(message); load(); })}
          </div>
        : <div key="new">{props.form(null, (message) => { if (message) setNotice(message); load(); })}</div>)}
    </section>
  );
}

function ResourceRow<T>({ page, item, onChanged, onChange, onDetail }: {
  page: ResourcePageProps<T>; item: T; onChanged: () => void; onChange: () => void; onDetail: () => void;
}) {
  const [mode, setMode] = useState<'view' | 'edit' | 'confirm-delete'>('view');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const name = page.deleteName?.(item) ?? page.keyOf(item);
  const [first, ...rest] = page.columns;

  async function remove() {
    if (!page.remove) return;
    setBusy(true);
    setError(null);
    try {
      await page.remove(item);
      onChanged();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'It could not be deleted.');
    } finally {
      setBusy(false);
      setMode('view');
    }
  }

  const editor = page.cellEditor;
  const cellOf = (index: number, column: Column<T>) =>
    editor && mode === 'edit' && editor.column === index
      ? editor.render(item, (changed) => { setMode('view'); if (changed) onChanged(); })
      : column.cell(item);

  return (
    <tr>
      <th scope="row">{first.cell(item)}</th>
      {rest.map((column, i) => <td key={column.header}>{cellOf(i + 1, column)}</td>)}
      <td class="actions">
        {mode === 'view' && (
          <>
            {page.detailButton && (
              <button type="button" onClick={onDetail} aria-label={page.detailButton.label(item)}>{page.detailButton.button}</button>
            )}
            {page.change && (
              <button type="button" onClick={onChange} aria-label={page.change.label(item)}>{page.change.button}</button>
            )}
            {editor && (
              <button type="button" onClick={() => setMode('edit')} aria-label={editor.label(item)}>{editor.button}</button>
            )}
            {page.remove && (
              <button type="button" onClick={() => setMode('confirm-delete')} aria-label={`Delete ${name}`}>Delete</button>
            )}
          </>
        )}
        {mode === 'confirm-delete' && (
          <span role="group" aria-label={`Confirm deleting ${name}`}>
            <span class="muted">{page.deleteQuestion?.(item) ?? `Delete ${name}?`}</span>{' '}
            <button type="button" class="danger" disabled={busy} aria-label={`Yes, delete ${name}`}
              onClick={() => void remove()}>Yes, delete</button>
            <button type="button" onClick={() => setMode('view')}>Keep</button>
          </span>
        )}
        {error && <p class="field-error" role="alert">{error}</p>}
      </td>
    </tr>
  );
}

/** One text input edited in place in a table cell (a display name, a member list). */
export function InlineTextEditor({ inputId, formLabel, inputLabel, initial, save, close }: {
  inputId: string; formLabel: string; inputLabel: string; initial: string;
  save: (value: string) => Promise<void>; close: (changed: boolean) => void;
}) {
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await save(value);
      close(true);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : 'The change failed.');
      setBusy(false);
    }
  }

  return (
    <>
      <form class="inline-form" aria-label={formLabel} noValidate onSubmit={submit}>
        <label class="visually-hidden" for={inputId}>{inputLabel}</label>
        <input id={inputId} value={value} onInput={(e) => setValue(e.currentTarget.value)}
          aria-invalid={error ? true : undefined} aria-describedby={error ? `${inputId}-error` : undefined} />
        <button type="submit" class="primary" disabled={busy}>Save</button>
        <button type="button" onClick={() => close(false)}>Cancel</button>
      </form>
      {error && <p id={`${inputId}-error`} class="field-error" role="alert">{error}</p>}
    </>
  );
}
