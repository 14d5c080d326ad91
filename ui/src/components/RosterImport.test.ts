import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());

import * as ipc from '../lib/ipc';
import { IpcError } from '../lib/ipc';
import type { RosterChanges } from '../lib/ipc';
import { resetEachTest } from '../test/fake-ipc';
import { locale } from '../lib/locale.svelte';
import RosterImport from './RosterImport.svelte';

const m = vi.mocked(ipc);
const changes: RosterChanges = {
  rows: 30,
  offerings_added: 1,
  offerings_renamed: 0,
  teachers_changed: 0,
  students_added: 28,
  students_renamed: 0,
  enrollments_added: 30,
  enrollments_reactivated: 0,
  enrollments_deactivated: 2,
  enrollments_reenrolled: 0,
  offerings_not_in_file: 0,
};
const unchanged: RosterChanges = {
  ...changes,
  offerings_added: 0,
  students_added: 0,
  enrollments_added: 0,
  enrollments_deactivated: 0,
};

const csv = (text: string, name: string) => new File([text], name, { type: 'text/csv' });

resetEachTest();

describe('roster import', () => {
  it('shows the row errors of a refused file, writing nothing', async () => {
    m.rosterPreview.mockRejectedValue(
      new IpcError('bad_file', 'bad.csv was rejected', [
        { line: 3, column: 'student_id', reason: 'not a UUID' },
        { line: 7, column: 'date', reason: 'missing' },
      ]),
    );
    render(RosterImport);
    const input = screen.getByLabelText('Roster file (CSV)');
    expect(input).toHaveAttribute('accept', '.csv,text/csv');
    await fireEvent.change(input, { target: { files: [csv('student_id\nnope\n', 'bad.csv')] } });
    const alert = await screen.findByTestId('import-error');
    expect(alert).toHaveTextContent('bad.csv was rejected. Nothing was written.');
    const rows = within(screen.getByTestId('import-row-errors')).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('3student_idnot a UUID');
    expect(rows[2]).toHaveTextContent('7datemissing');
    expect(m.rosterPreview).toHaveBeenCalledWith('student_id\nnope\n', 'bad.csv');
    expect(m.rosterImport).not.toHaveBeenCalled();
    expect(screen.queryByTestId('import-confirm')).toBeNull();
  });

  it('previews what will change, then imports on confirm', async () => {
    m.rosterPreview.mockResolvedValue(changes);
    m.rosterImport.mockResolvedValue(changes);
    const onimported = vi.fn();
    render(RosterImport, { onimported });
    await fireEvent.change(screen.getByTestId('import-file'), { target: { files: [csv('a,b\n1,2\n', 'class.csv')] } });
    const preview = await screen.findByTestId('import-preview');
    expect(preview).toHaveTextContent('30 rows read from class.csv');
    const shown = (key: string) => preview.querySelector(`[data-change="${key}"]`);
    expect(shown('students_added')).toHaveTextContent('28');
    expect(shown('students_added')?.previousElementSibling).toHaveTextContent('Students added');
    expect(shown('enrollments_deactivated')).toHaveTextContent('2');
    expect(preview).toHaveTextContent('Enrollments ended');
    expect(preview).not.toHaveTextContent('Students renamed');
    expect(m.rosterImport).not.toHaveBeenCalled();

    await fireEvent.click(screen.getByTestId('import-confirm'));
    await waitFor(() => expect(m.rosterImport).toHaveBeenCalledWith('a,b\n1,2\n', 'class.csv'));
    expect(await screen.findByTestId('import-done')).toHaveTextContent('Roster imported from class.csv.');
    expect(onimported).toHaveBeenCalledWith(changes);
  });

  it('takes a dropped file too', async () => {
    m.rosterPreview.mockResolvedValue({ ...changes, students_added: 0, offerings_added: 0, enrollments_added: 0, enrollments_deactivated: 0 });
    render(RosterImport);
    await fireEvent.drop(screen.getByTestId('drop-zone'), {
      dataTransfer: { files: [csv('x', 'dropped.csv')] },
    });
    expect(await screen.findByText('Nothing would change.')).toBeInTheDocument();
    expect(m.rosterPreview).toHaveBeenCalledWith('x', 'dropped.csv');
  });

  it('says which offerings the file leaves as they are, even when nothing else changes', async () => {
    m.rosterPreview.mockResolvedValue({ ...unchanged, offerings_not_in_file: 2 });
    render(RosterImport);
    await fireEvent.change(screen.getByTestId('import-file'), { target: { files: [csv('x', 'math.csv')] } });
    const preview = await screen.findByTestId('import-preview');
    expect(preview).toHaveTextContent('Nothing would change.');
    expect(screen.getByTestId('not-in-file')).toHaveTextContent('2 offerings not in this file, left as they are');
  });

  it('says it in Spanish, in the singular for one', async () => {
    locale.current = 'es';
    m.rosterPreview.mockResolvedValue({ ...unchanged, offerings_not_in_file: 1, enrollments_reenrolled: 1 });
    render(RosterImport);
    await fireEvent.change(screen.getByTestId('import-file'), { target: { files: [csv('x', 'uno.csv')] } });
    const preview = await screen.findByTestId('import-preview');
    expect(screen.getByTestId('not-in-file')).toHaveTextContent('1 curso no está en este archivo; se deja como está');
    expect(preview).toHaveTextContent('30 filas leídas de uno.csv');
    expect(preview.querySelector('[data-change="enrollments_reenrolled"]')).toHaveTextContent('1');
  });

  it('counts re-enrollments (a new enrollment id from the SIS)', async () => {
    m.rosterPreview.mockResolvedValue({ ...unchanged, enrollments_reenrolled: 3 });
    render(RosterImport);
    await fireEvent.change(screen.getByTestId('import-file'), { target: { files: [csv('x', 'new-ids.csv')] } });
    const preview = await screen.findByTestId('import-preview');
    expect(preview.querySelector('[data-change="enrollments_reenrolled"]')).toHaveTextContent('3');
    expect(preview).toHaveTextContent('Re-enrolled with a new enrollment id');
    expect(screen.queryByTestId('not-in-file')).toBeNull();
  });

  it('lists the problems the file was refused for, and counts those not listed', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ line: i + 2, column: 'status', reason: 'not a status' }));
    m.rosterPreview.mockRejectedValue({ code: 'bad_file', message: 'big.csv was rejected', rows, more_rows: 119950 });
    render(RosterImport);
    await fireEvent.change(screen.getByTestId('import-file'), { target: { files: [csv('x', 'big.csv')] } });
    const alert = await screen.findByTestId('import-error');
    expect(within(screen.getByTestId('import-row-errors')).getAllByRole('row')).toHaveLength(51);
    expect(alert).toHaveTextContent('And 119950 more problems not listed.');
  });
});
