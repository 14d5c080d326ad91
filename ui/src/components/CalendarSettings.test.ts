import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());

import * as ipc from '../lib/ipc';
import { IpcError } from '../lib/ipc';
import type { CalendarView } from '../lib/ipc';
import { resetEachTest } from '../test/fake-ipc';
import { locale } from '../lib/locale.svelte';
import CalendarSettings from './CalendarSettings.svelte';

const m = vi.mocked(ipc);

const calendar: CalendarView = {
  non_school_days: ['2025-03-17', '2025-04-14'],
  offerings: [
    { offering_id: 'o1', name: 'Algebra I', meeting_days: [1, 2, 3, 4, 5] },
    { offering_id: 'o2', name: 'Art', meeting_days: [2, 4] },
  ],
};

function ticked(name: string): string[] {
  const group = screen.getByRole('group', { name });
  return within(group)
    .getAllByRole('checkbox')
    .filter((c) => (c as HTMLInputElement).checked)
    .map((c) => c.closest('label')!.textContent!.trim());
}

async function shown(view: CalendarView = calendar) {
  m.calendar.mockResolvedValue(view);
  render(CalendarSettings);
  await screen.findByRole('group', { name: 'Algebra I' });
}

function chooseFile(text: string, name = 'calendar.csv') {
  const file = new File([text], name, { type: 'text/csv' });
  const input = screen.getByLabelText('Import non-school days (CSV with a date column)');
  return fireEvent.change(input, { target: { files: [file] } });
}

resetEachTest();

describe('the school calendar', () => {
  it("shows each offering's meeting days, Monday to Friday by default, Monday first", async () => {
    await shown();
    const algebra = screen.getByRole('group', { name: 'Algebra I' });
    expect(within(algebra).getAllByRole('checkbox').map((c) => c.closest('label')!.textContent!.trim())).toEqual([
      'Mon',
      'Tue',
      'Wed',
      'Thu',
      'Fri',
      'Sat',
      'Sun',
    ]);
    expect(ticked('Algebra I')).toEqual(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']);
    expect(ticked('Art')).toEqual(['Tue', 'Thu']);
  });

  it('saves the days ticked for one offering', async () => {
    await shown();
    m.saveMeetingDays.mockResolvedValue({
      ...calendar,
      offerings: [calendar.offerings[0], { offering_id: 'o2', name: 'Art', meeting_days: [2, 4, 6] }],
    });
    const art = screen.getByRole('group', { name: 'Art' });
    await fireEvent.click(within(art).getByLabelText('Sat'));
    await fireEvent.click(within(art).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(m.saveMeetingDays).toHaveBeenCalledWith('o2', [2, 4, 6]));
    expect(await screen.findByTestId('meeting-days-note')).toHaveTextContent(
      'Saved: Art meets Tuesday, Thursday, and Saturday.',
    );
    expect(ticked('Art')).toEqual(['Tue', 'Thu', 'Sat']);
  });

  it('sends no day when none is ticked, and shows Monday to Friday as the core answers', async () => {
    await shown();
    m.saveMeetingDays.mockResolvedValue(calendar);
    const art = screen.getByRole('group', { name: 'Art' });
    await fireEvent.click(within(art).getByLabelText('Tue'));
    await fireEvent.click(within(art).getByLabelText('Thu'));
    expect(ticked('Art')).toEqual([]);
    m.saveMeetingDays.mockResolvedValue({
      ...calendar,
      offerings: [calendar.offerings[0], { offering_id: 'o2', name: 'Art', meeting_days: [1, 2, 3, 4, 5] }],
    });
    await fireEvent.click(within(art).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(m.saveMeetingDays).toHaveBeenCalledWith('o2', []));
    await waitFor(() => expect(ticked('Art')).toEqual(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']));
  });

  it('shows a refused save', async () => {
    await shown();
    m.saveMeetingDays.mockRejectedValue(new IpcError('not_found', 'no offering o2 on this computer'));
    await fireEvent.click(within(screen.getByRole('group', { name: 'Art' })).getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('no offering o2 on this computer');
  });

  it('lists the non-school days, or says there are none', async () => {
    await shown();
    const days = screen.getByTestId('non-school-days');
    expect(within(days).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Mar 17, 2025', 'Apr 14, 2025']);
    expect(screen.getByText('2 non-school days')).toBeInTheDocument();
  });

  it('imports a non-school-days file and shows the new list', async () => {
    await shown({ ...calendar, non_school_days: [] });
    expect(screen.getByTestId('non-school-none')).toHaveTextContent('None imported');
    m.importNonSchoolDays.mockResolvedValue({ rows: 1, days: 1 });
    m.calendar.mockResolvedValue({ ...calendar, non_school_days: ['2025-05-01'] });
    await chooseFile('date,name\n2025-05-01,Labour Day\n');
    await waitFor(() => expect(m.importNonSchoolDays).toHaveBeenCalledWith('date,name\n2025-05-01,Labour Day\n', 'calendar.csv'));
    expect(await screen.findByTestId('non-school-done')).toHaveTextContent(
      '1 non-school day read from calendar.csv; it replaces the earlier list.',
    );
    expect(within(screen.getByTestId('non-school-days')).getByRole('listitem')).toHaveTextContent('May 1, 2025');
  });

  it('shows the bad rows of a refused file, as the roster import does', async () => {
    await shown();
    m.importNonSchoolDays.mockRejectedValue(
      new IpcError('bad_file', 'bad.csv was rejected', [
        { line: 2, column: 'date', reason: '2025-02-30 is not a date (YYYY-MM-DD)' },
        { line: 3, column: 'date', reason: 'missing' },
      ], 4),
    );
    await chooseFile('date\n2025-02-30\n\n', 'bad.csv');
    const alert = await screen.findByTestId('non-school-error');
    expect(alert).toHaveTextContent('bad.csv was rejected. Nothing was written.');
    const rows = within(within(alert).getByTestId('non-school-row-errors')).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('2date2025-02-30 is not a date (YYYY-MM-DD)');
    expect(within(alert).getByTestId('non-school-more-rows')).toHaveTextContent('And 4 more problems not listed.');
    // The list is the old one: nothing changed.
    expect(within(screen.getByTestId('non-school-days')).getAllByRole('listitem')).toHaveLength(2);
  });

  it('speaks Spanish, weekdays too', async () => {
    locale.current = 'es';
    await shown();
    expect(ticked('Art')).toEqual(['mar', 'jue']);
    expect(screen.getByText('2 días sin clase')).toBeInTheDocument();
    expect(screen.getByLabelText('Importar días sin clase (CSV con una columna date)')).toHaveAttribute('type', 'file');
  });
});
