import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());

import * as ipc from '../lib/ipc';
import type { RosterRow, Status } from '../lib/ipc';
import { IpcError } from '../lib/ipc';
import { baseSettings, baseStatus, emitMarksChanged, resetEachTest } from '../test/fake-ipc';
import RollCall from './RollCall.svelte';

const OFFERING = 'o1';
const DATE = '2025-03-04';

const student = (id: string, name: string, status: Status | null = null, extra: Partial<RosterRow> = {}): RosterRow => ({
  student_id: id,
  student_name: name,
  course_enrollment_id: `e-${id}`,
  status,
  changed_at: status ? '2025-03-04T12:00:00Z' : null,
  delivery: status ? 'on_server' : null,
  from_server: false,
  marked_by: status ? 'this_device' : null,
  recorded_at: status ? '2025-03-04T12:00:00Z' : null,
  changed_elsewhere: false,
  ...extra,
});

let rows: RosterRow[];
const m = vi.mocked(ipc);

function rowEl(id: string): HTMLElement {
  return document.querySelector<HTMLElement>(`[role="row"][data-student-id="${id}"]`)!;
}

async function renderGrid(props: Record<string, unknown> = {}) {
  render(RollCall, { offering: OFFERING, date: DATE, ...props });
  await screen.findByRole('grid');
  // The first student without a mark gets the focus.
  await waitFor(() => expect(document.activeElement).toBe(rowEl('ana')));
}

resetEachTest();
beforeEach(() => {
  rows = [
    student('ana', 'Ana Gómez'),
    student('beto', 'Beto Ruiz'),
    student('jose', 'José Núñez'),
    student('carla', 'Carla Díaz', 'present'),
  ];
  m.roster.mockImplementation(async () => rows.map((r) => ({ ...r })));
  m.offerings.mockResolvedValue([
    { id: OFFERING, name: 'Algebra I', teacher_assignment_id: 't', active_students: 4 },
  ]);
  m.setMark.mockImplementation(async (_o, id, _d, status) => {
    rows = rows.map((r) => (r.student_id === id ? { ...r, status, delivery: 'saved_here' } : r));
    return { ...rows.find((r) => r.student_id === id)! };
  });
  m.undo.mockResolvedValue({ reverted: 1 });
  m.markRestPresent.mockResolvedValue({ marked: 3, kept: 1 });
});

describe('roll call grid', () => {
  it('is a labelled grid with one row per student and pressed-state status buttons', async () => {
    await renderGrid();
    const grid = screen.getByRole('grid');
    expect(grid).toHaveAttribute('aria-label', 'Roll call for Algebra I, Tuesday, March 4, 2025');
    expect(within(grid).getAllByRole('row')).toHaveLength(4);
    const carla = rowEl('carla');
    expect(within(carla).getByRole('button', { name: 'Present: Carla Díaz' })).toHaveAttribute('aria-pressed', 'true');
    expect(within(carla).getByRole('button', { name: 'Absent: Carla Díaz' })).toHaveAttribute('aria-pressed', 'false');
    expect(within(carla).getByTestId('delivery')).toHaveTextContent('On the server');
    expect(within(rowEl('ana')).getByTestId('delivery')).toHaveTextContent('Not marked');
    expect(within(carla).getByText('CD')).toBeInTheDocument();
    // Roving tabindex: only the focused row is a tab stop.
    expect(rowEl('ana')).toHaveAttribute('tabindex', '0');
    expect(rowEl('beto')).toHaveAttribute('tabindex', '-1');
  });

  it('takes roll by keyboard alone: P A L E set and move down, j/k and arrows move', async () => {
    await renderGrid();
    await fireEvent.keyDown(rowEl('ana'), { key: 'p' });
    await waitFor(() => expect(m.setMark).toHaveBeenLastCalledWith(OFFERING, 'ana', DATE, 'present'));
    await waitFor(() => expect(document.activeElement).toBe(rowEl('beto')));

    await fireEvent.keyDown(rowEl('beto'), { key: 'a' });
    await waitFor(() => expect(m.setMark).toHaveBeenLastCalledWith(OFFERING, 'beto', DATE, 'absent'));
    await waitFor(() => expect(document.activeElement).toBe(rowEl('jose')));

    await fireEvent.keyDown(rowEl('jose'), { key: 'k' });
    await waitFor(() => expect(document.activeElement).toBe(rowEl('beto')));
    await fireEvent.keyDown(rowEl('beto'), { key: 'ArrowUp' });
    await waitFor(() => expect(document.activeElement).toBe(rowEl('ana')));
    await fireEvent.keyDown(rowEl('ana'), { key: 'j' });
    await fireEvent.keyDown(rowEl('beto'), { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toBe(rowEl('jose')));
    expect(rowEl('jose')).toHaveAttribute('tabindex', '0');

    await fireEvent.keyDown(rowEl('jose'), { key: 'l' });
    await waitFor(() => expect(m.setMark).toHaveBeenLastCalledWith(OFFERING, 'jose', DATE, 'late'));
    await fireEvent.keyDown(rowEl('carla'), { key: 'E' });
    await waitFor(() => expect(m.setMark).toHaveBeenLastCalledWith(OFFERING, 'carla', DATE, 'excused'));
    // The last row stays focused.
    await waitFor(() => expect(document.activeElement).toBe(rowEl('carla')));

    await waitFor(() => expect(within(rowEl('ana')).getByTestId('delivery')).toHaveTextContent('Saved here'));
    expect(within(rowEl('beto')).getByRole('button', { name: 'Absent: Beto Ruiz' })).toHaveAttribute('aria-pressed', 'true');
    expect(m.setMark).toHaveBeenCalledTimes(4);
  });

  it('Space cycles the focused row and stays on it', async () => {
    await renderGrid();
    await fireEvent.keyDown(rowEl('ana'), { key: ' ' });
    await waitFor(() => expect(m.setMark).toHaveBeenLastCalledWith(OFFERING, 'ana', DATE, 'present'));
    await fireEvent.keyDown(rowEl('ana'), { key: ' ' });
    await waitFor(() => expect(m.setMark).toHaveBeenLastCalledWith(OFFERING, 'ana', DATE, 'late'));
    await fireEvent.keyDown(rowEl('ana'), { key: ' ' });
    await waitFor(() => expect(m.setMark).toHaveBeenLastCalledWith(OFFERING, 'ana', DATE, 'absent'));
    expect(document.activeElement).toBe(rowEl('ana'));
    await waitFor(() => expect(rowEl('ana')).toHaveAttribute('data-status', 'absent'));
  });

  it('Ctrl+Z undoes and says what was undone; Shift+R marks the rest present', async () => {
    await renderGrid();
    await fireEvent.keyDown(rowEl('ana'), { key: 'a' });
    await waitFor(() => expect(within(rowEl('ana')).getByTestId('delivery')).toHaveTextContent('Saved here'));
    await fireEvent.keyDown(rowEl('beto'), { key: 'z', ctrlKey: true });
    await waitFor(() => expect(m.undo).toHaveBeenCalledWith(OFFERING, DATE));
    expect(await screen.findByText('Undone: Ana Gómez — Absent')).toBeInTheDocument();
    expect(screen.getByTestId('toast')).toHaveAttribute('aria-live', 'polite');

    await fireEvent.keyDown(rowEl('beto'), { key: 'R', shiftKey: true });
    await waitFor(() => expect(m.markRestPresent).toHaveBeenCalledWith(OFFERING, DATE));
    expect(await screen.findByText('Marked 3 students present; kept 1 already marked')).toBeInTheDocument();
    // A plain r does nothing.
    await fireEvent.keyDown(rowEl('beto'), { key: 'r' });
    expect(m.markRestPresent).toHaveBeenCalledTimes(1);
  });

  it('says when there is nothing to undo', async () => {
    m.undo.mockRejectedValue(new IpcError('conflict', 'nothing to undo'));
    await renderGrid();
    await fireEvent.keyDown(rowEl('ana'), { key: 'z', ctrlKey: true });
    expect(await screen.findByText('nothing to undo')).toBeInTheDocument();
  });

  it('shows the local rows at once and asks the engine to refresh this offering', async () => {
    await renderGrid();
    expect(m.refreshRoll).toHaveBeenCalledWith(OFFERING);
    expect(m.refreshRoll).toHaveBeenCalledTimes(1);
  });

  it('the button marks the rest present too', async () => {
    await renderGrid();
    await fireEvent.click(screen.getByRole('button', { name: 'Mark the rest present' }));
    await waitFor(() => expect(m.markRestPresent).toHaveBeenCalledOnce());
  });

  it('never claims "Saved here" before set_mark resolved', async () => {
    let finish: (row: RosterRow) => void = () => {};
    m.setMark.mockImplementation(() => new Promise((r) => (finish = r)));
    await renderGrid();
    await fireEvent.click(within(rowEl('ana')).getByRole('button', { name: 'Late: Ana Gómez' }));
    const badge = within(rowEl('ana')).getByTestId('delivery');
    await waitFor(() => expect(badge).toHaveTextContent('Saving…'));
    expect(within(rowEl('ana')).getByRole('button', { name: 'Late: Ana Gómez' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.queryByText('Saved here')).toBeNull();
    finish(student('ana', 'Ana Gómez', 'late', { delivery: 'saved_here' }));
    await waitFor(() => expect(within(rowEl('ana')).getByTestId('delivery')).toHaveTextContent('Saved here'));
  });

  it('clicking the current status moves to the next one', async () => {
    await renderGrid();
    await fireEvent.click(within(rowEl('carla')).getByRole('button', { name: 'Present: Carla Díaz' }));
    await waitFor(() => expect(m.setMark).toHaveBeenLastCalledWith(OFFERING, 'carla', DATE, 'late'));
  });

  it('shows a refused mark inline with its message', async () => {
    m.setMark.mockRejectedValue(new IpcError('invalid', 'Ana Gómez is not enrolled in this offering'));
    await renderGrid();
    await fireEvent.keyDown(rowEl('ana'), { key: 'p' });
    const alert = await within(rowEl('ana')).findByRole('alert');
    expect(alert).toHaveTextContent('Ana Gómez is not enrolled in this offering');
    expect(rowEl('ana')).toHaveAttribute('data-status', '');
  });

  it('filters by name without caring for accents', async () => {
    await renderGrid();
    await fireEvent.input(screen.getByLabelText('Find a student'), { target: { value: 'nunez' } });
    expect(screen.getAllByRole('row')).toHaveLength(1);
    expect(rowEl('jose')).toBeInTheDocument();
  });

  it('shows marks from other devices as such, and reloads on marks-changed events', async () => {
    rows[3] = student('carla', 'Carla Díaz', 'absent', {
      from_server: true,
      delivery: null,
      marked_by: 'other',
      recorded_at: '2025-03-04T08:12:00Z',
    });
    rows[2] = student('jose', 'José Núñez', 'late', {
      from_server: true,
      delivery: null,
      marked_by: 'same_teacher',
    });
    await renderGrid();
    const carla = within(rowEl('carla')).getByTestId('delivery');
    expect(carla).toHaveTextContent('Another teacher or system ·');
    expect(carla.textContent).toMatch(/\d{1,2}[:.]\d{2}/);
    expect(within(rowEl('jose')).getByTestId('delivery')).toHaveTextContent('You on another device');
    await waitFor(() => expect(m.roster).toHaveBeenCalledTimes(1));
    rows[0] = student('ana', 'Ana Gómez', 'present', { delivery: 'sending' });
    emitMarksChanged({ offering: OFFERING, date: DATE });
    await waitFor(() => expect(within(rowEl('ana')).getByTestId('delivery')).toHaveTextContent('Sending'));
    emitMarksChanged({ offering: 'another-offering', date: DATE });
    emitMarksChanged({ offering: OFFERING, date: '2025-03-05' });
    await new Promise((r) => setTimeout(r, 20));
    expect(m.roster).toHaveBeenCalledTimes(2);
  });

  it('refreshes the delivery column when the sync status changes', async () => {
    const { rerender } = render(RollCall, { offering: OFFERING, date: DATE, status: { ...baseStatus, pending: 1 } });
    await screen.findByRole('grid');
    rows[3] = student('carla', 'Carla Díaz', 'present', { delivery: 'needs_attention' });
    await rerender({ status: { ...baseStatus, rejected: 1 } });
    await waitFor(() => expect(within(rowEl('carla')).getByTestId('delivery')).toHaveTextContent('Needs attention'));
  });

  it('reloads after a refresh only when it changed the records', async () => {
    const { rerender } = render(RollCall, { offering: OFFERING, date: DATE, status: baseStatus });
    await screen.findByRole('grid');
    await new Promise((r) => setTimeout(r, 300));
    const before = m.roster.mock.calls.length;
    // A refresh that found nothing new: only its time moves.
    await rerender({ status: { ...baseStatus, last_refresh_at: '2025-03-04T08:00:00Z' } });
    await rerender({ status: { ...baseStatus, last_refresh_at: '2025-03-04T08:00:01Z' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(m.roster).toHaveBeenCalledTimes(before);
    // A kiosk's record arrived: the row shows it.
    rows[3] = student('carla', 'Carla Díaz', 'late', { delivery: null, from_server: true, marked_by: 'other' });
    await rerender({
      status: {
        ...baseStatus,
        last_refresh_at: '2025-03-04T08:00:02Z',
        last_refresh_new_records: 1,
        records_changed_at: '2025-03-04T08:00:02Z',
      },
    });
    await waitFor(() => expect(rowEl('carla')).toHaveAttribute('data-status', 'late'));
    expect(m.roster).toHaveBeenCalledTimes(before + 1);
  });

  it('opens the mark history', async () => {
    m.history.mockResolvedValue([
      {
        kind: 'local', id: 1, old_status: null, new_status: 'absent', actor: 'Ms. Ortiz', origin: 'grid',
        changed_at: '2025-03-04T12:00:00Z', action: 1, undone: false, outbox_state: 'synced',
        sent_at: '2025-03-04T12:00:05Z', server_id: 'srv-42', server_recorded_at: '2025-03-04T12:00:05Z',
      },
    ]);
    await renderGrid();
    await fireEvent.click(within(rowEl('carla')).getByRole('button', { name: 'History: Carla Díaz' }));
    const dialog = await screen.findByRole('dialog', { name: 'History: Carla Díaz' });
    expect(m.history).toHaveBeenCalledWith(OFFERING, 'carla', DATE);
    expect(await within(dialog).findByText('Absent')).toBeInTheDocument();
    expect(dialog).toHaveTextContent('no mark → Absent');
    expect(dialog).toHaveTextContent('Ms. Ortiz');
    expect(dialog).toHaveTextContent('Roll call');
    expect(dialog).toHaveTextContent('server id srv-42');
  });

  it('lists the server records of other writers in the history, oldest first', async () => {
    m.history.mockResolvedValue([
      { kind: 'server', record_id: 'srv-kiosk', status: 'late', recorded_at: '2025-03-04T07:58:00Z', marked_by: 'other' },
      {
        kind: 'local', id: 1, old_status: null, new_status: 'absent', actor: 'Ms. Ortiz', origin: 'grid',
        changed_at: '2025-03-04T08:00:00Z', action: 1, undone: false, outbox_state: 'synced',
        sent_at: '2025-03-04T08:00:05Z', server_id: 'srv-42', server_recorded_at: '2025-03-04T08:00:05Z',
      },
      { kind: 'server', record_id: 'srv-laptop', status: 'excused', recorded_at: '2025-03-04T08:20:00Z', marked_by: 'same_teacher' },
    ]);
    await renderGrid();
    await fireEvent.click(within(rowEl('carla')).getByRole('button', { name: 'History: Carla Díaz' }));
    const dialog = await screen.findByRole('dialog', { name: 'History: Carla Díaz' });
    await within(dialog).findByText('Absent');
    const lines = within(dialog).getAllByRole('row').slice(1).map((r) => r.textContent ?? '');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('Late');
    expect(lines[0]).toContain('Another teacher or system');
    expect(lines[0]).toContain('server id srv-kiosk');
    expect(lines[1]).toContain('no mark → Absent');
    expect(lines[2]).toContain('Excused');
    expect(lines[2]).toContain('You on another device');
  });

  it('says a mark was changed elsewhere until the history is opened, then reloads the row', async () => {
    rows[3] = student('carla', 'Carla Díaz', 'late', {
      from_server: true,
      delivery: null,
      marked_by: 'other',
      recorded_at: '2025-03-04T08:12:00Z',
      changed_elsewhere: true,
    });
    rows[2] = student('jose', 'José Núñez', 'excused', {
      from_server: true,
      delivery: null,
      marked_by: 'same_teacher',
      changed_elsewhere: true,
    });
    await renderGrid();
    const carla = within(rowEl('carla')).getByTestId('delivery');
    expect(carla).toHaveTextContent(/Changed by another teacher or system at \d{1,2}[:.]\d{2}/);
    expect(carla).toHaveAttribute('data-delivery', 'changed_elsewhere');
    expect(within(rowEl('jose')).getByTestId('delivery')).toHaveTextContent('Changed by you on another device at');
    await waitFor(() => expect(m.roster).toHaveBeenCalledTimes(1));

    await fireEvent.click(within(rowEl('carla')).getByRole('button', { name: 'History: Carla Díaz' }));
    const dialog = await screen.findByRole('dialog', { name: 'History: Carla Díaz' });
    rows[3] = { ...rows[3], changed_elsewhere: false };
    await fireEvent.keyDown(dialog, { key: 'Escape' });
    await waitFor(() =>
      expect(within(rowEl('carla')).getByTestId('delivery')).toHaveTextContent('Another teacher or system ·'),
    );
    expect(m.roster).toHaveBeenCalledTimes(2);
  });

  it('says a mark was changed elsewhere in Spanish too', async () => {
    const { locale } = await import('../lib/locale.svelte');
    locale.current = 'es';
    rows[3] = student('carla', 'Carla Díaz', 'late', {
      from_server: true,
      delivery: null,
      marked_by: 'other',
      recorded_at: '2025-03-04T08:12:00Z',
      changed_elsewhere: true,
    });
    render(RollCall, { offering: OFFERING, date: DATE });
    await screen.findByRole('grid');
    expect(within(rowEl('carla')).getByTestId('delivery')).toHaveTextContent('Cambiado por otro docente o sistema a las');
  });

  it('opens the keyboard help with ? and documents moving down after a mark', async () => {
    await renderGrid();
    await fireEvent.keyDown(rowEl('ana'), { key: '?', shiftKey: true });
    const help = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(help).toHaveTextContent('then move to the next student');
    // Keys typed inside the dialog do not mark anyone.
    await fireEvent.keyDown(help, { key: 'p' });
    expect(m.setMark).not.toHaveBeenCalled();
    await fireEvent.keyDown(help, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('is read-only with a read-only token', async () => {
    render(RollCall, { offering: OFFERING, date: DATE, settings: { ...baseSettings, read_only: true } });
    await screen.findByRole('grid');
    expect(screen.getByTestId('read-only-banner')).toHaveTextContent('Read-only: this token cannot record attendance');
    expect(within(rowEl('ana')).getByRole('button', { name: 'Present: Ana Gómez' })).toBeDisabled();
    await fireEvent.keyDown(rowEl('ana'), { key: 'p' });
    expect(m.setMark).not.toHaveBeenCalled();
  });

  it('shows the counts with their labels', async () => {
    m.counts.mockResolvedValue({ present: 12, absent: 2, late: 1, excused: 0, unmarked: 15 });
    await renderGrid();
    const bar = screen.getByTestId('count-bar');
    await waitFor(() => expect(bar).toHaveTextContent('12 Present'));
    expect(bar).toHaveTextContent('2 Absent');
    expect(bar).toHaveTextContent('15 Unmarked');
  });
});


describe('a date outside the window of marks', () => {
  const FAR = '2062-03-04';
  const refusal = () =>
    new IpcError('date_outside_window', '2062-03-04 is outside the dates a mark can have', [], 0, {
      date: FAR,
      first: '2024-01-29',
      last: '2025-03-04',
    });

  beforeEach(() => {
    // The core refuses the date unless the page says the user confirmed it.
    m.setMark.mockImplementation(async (_o, id, _d, status, allow) => {
      if (!allow) throw refusal();
      rows = rows.map((r) => (r.student_id === id ? { ...r, status, delivery: 'saved_here' } : r));
      return { ...rows.find((r) => r.student_id === id)! };
    });
    m.markRestPresent.mockImplementation(async (_o, _d, allow) => {
      if (!allow) throw refusal();
      return { marked: 3, kept: 0 };
    });
  });

  it('asks, naming the date and the window, and marks only once the user confirms', async () => {
    await renderGrid({ date: FAR });
    await fireEvent.keyDown(rowEl('ana'), { key: 'a' });
    const dialog = await screen.findByRole('dialog', { name: 'A date outside the usual window' });
    expect(dialog).toHaveTextContent('Saturday, March 4, 2062');
    expect(dialog).toHaveTextContent('Monday, January 29, 2024');
    expect(dialog).toHaveTextContent('Tuesday, March 4, 2025');
    expect(m.setMark).toHaveBeenCalledTimes(1);
    expect(rowEl('ana')).toHaveAttribute('data-status', '');
    expect(within(rowEl('ana')).queryByRole('alert')).toBeNull();

    await fireEvent.click(within(dialog).getByRole('button', { name: 'Yes, mark this date' }));
    await waitFor(() => expect(m.setMark).toHaveBeenLastCalledWith(OFFERING, 'ana', FAR, 'absent', true));
    await waitFor(() => expect(rowEl('ana')).toHaveAttribute('data-status', 'absent'));
    expect(screen.queryByRole('dialog')).toBeNull();

    // Confirmed once for this date: the next marks carry the flag without asking again.
    await fireEvent.keyDown(rowEl('beto'), { key: 'l' });
    await waitFor(() => expect(m.setMark).toHaveBeenLastCalledWith(OFFERING, 'beto', FAR, 'late', true));
    await fireEvent.keyDown(rowEl('jose'), { key: 'R', shiftKey: true });
    await waitFor(() => expect(m.markRestPresent).toHaveBeenLastCalledWith(OFFERING, FAR, true));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('marks nothing when the user cancels', async () => {
    await renderGrid({ date: FAR });
    await fireEvent.keyDown(rowEl('ana'), { key: 'R', shiftKey: true });
    const dialog = await screen.findByRole('dialog', { name: 'A date outside the usual window' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(m.markRestPresent).toHaveBeenCalledTimes(1);
    expect(m.markRestPresent).toHaveBeenLastCalledWith(OFFERING, FAR);
    expect(rowEl('ana')).toHaveAttribute('data-status', '');
  });

  it('asks in Spanish too', async () => {
    const { locale } = await import('../lib/locale.svelte');
    locale.current = 'es';
    await renderGrid({ date: FAR });
    await fireEvent.keyDown(rowEl('ana'), { key: 'a' });
    const dialog = await screen.findByRole('dialog', { name: 'Una fecha fuera del periodo habitual' });
    expect(within(dialog).getByRole('button', { name: 'Sí, marcar esta fecha' })).toBeInTheDocument();
  });
});
