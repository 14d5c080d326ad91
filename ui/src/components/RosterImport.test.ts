import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());

import * as ipc from '../lib/ipc';
import { IpcError } from '../lib/ipc';
import type { RosterChanges } from '../lib/ipc';
import { resetEachTest } from '../test/fake-ipc';
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
});
