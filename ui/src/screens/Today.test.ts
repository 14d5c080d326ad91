import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());

import * as ipc from '../lib/ipc';
import { baseStatus, resetEachTest } from '../test/fake-ipc';
import { localIsoDate, outsideWindow } from '../lib/dates';
import Today from './Today.svelte';

const m = vi.mocked(ipc);
const today = localIsoDate();

resetEachTest();
beforeEach(() => {
  location.hash = '';
  m.today.mockResolvedValue([
    { id: 'o1', name: 'Algebra I', teacher_assignment_id: 't', active_students: 28, marked: 0, unsent: 0, state: 'not_taken' },
    { id: 'o2', name: 'Biology', teacher_assignment_id: 't', active_students: 28, marked: 12, unsent: 3, state: 'partly' },
    { id: 'o3', name: 'Chemistry', teacher_assignment_id: 't', active_students: 20, marked: 20, unsent: 0, state: 'taken' },
  ]);
});

describe('Today', () => {
  it("lists the offerings as links with today's state and unsent marks", async () => {
    render(Today);
    const list = await screen.findByRole('list');
    expect(list).toHaveAttribute('data-testid', 'today-list');
    expect(m.today).toHaveBeenCalledWith(today);
    const items = within(list).getAllByRole('listitem');
    expect(items).toHaveLength(3);
    const algebra = within(items[0]).getByRole('link');
    expect(algebra).toHaveAttribute('data-testid', 'offering-o1');
    expect(algebra).toHaveAttribute('href', `#/roll/o1/${today}`);
    expect(algebra).toHaveTextContent('Algebra I');
    expect(algebra).toHaveTextContent('Not taken');
    expect(screen.getByTestId('offering-o2')).toHaveTextContent('Partly (12 of 28)');
    expect(screen.getByTestId('offering-o2')).toHaveTextContent('3 unsent');
    expect(screen.getByTestId('offering-o3')).toHaveTextContent('Taken');
    expect(screen.getByTestId('offering-o3')).not.toHaveTextContent('unsent');
  });

  it('refreshes when the sync status changes (unsent counts)', async () => {
    const { rerender } = render(Today, { status: baseStatus });
    await screen.findByRole('list');
    await rerender({ status: { ...baseStatus, synced: 3 } });
    await waitFor(() => expect(m.today).toHaveBeenCalledTimes(2));
  });

  it('does not reload for a status that changes nothing it shows', async () => {
    const { rerender } = render(Today, { status: null });
    await screen.findByRole('list');
    expect(m.today).toHaveBeenCalledTimes(1);
    // The first status after opening is what the list was loaded with.
    await rerender({ status: baseStatus });
    await rerender({ status: { ...baseStatus, online: false, last_refresh_at: '2026-01-05T08:00:00Z' } });
    await new Promise((r) => setTimeout(r, 20));
    expect(m.today).toHaveBeenCalledTimes(1);
    expect(m.missingRolls).toHaveBeenCalledTimes(1);
    // A refresh that brought another writer's records does.
    await rerender({ status: { ...baseStatus, records_changed_at: '2026-01-05T08:00:00Z' } });
    await waitFor(() => expect(m.today).toHaveBeenCalledTimes(2));
    expect(m.missingRolls).toHaveBeenCalledTimes(2);
  });

  it('goes to a past date at once', async () => {
    render(Today);
    await screen.findByRole('list');
    await fireEvent.change(screen.getByLabelText('Date'), { target: { value: '2020-01-15' } });
    expect(location.hash).toBe('#/today/2020-01-15');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('asks before a future date', async () => {
    render(Today);
    await screen.findByRole('list');
    const input = screen.getByLabelText('Date') as HTMLInputElement;
    await fireEvent.change(input, { target: { value: '2999-01-15' } });
    const dialog = await screen.findByRole('dialog', { name: 'A day in the future' });
    expect(dialog).toHaveTextContent('Tuesday, January 15, 2999');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(location.hash).toBe('');
    expect(input.value).toBe(today);

    expect(outsideWindow.isConfirmed('2999-01-15')).toBe(false);

    await fireEvent.change(input, { target: { value: '2999-01-15' } });
    await fireEvent.click(await screen.findByRole('button', { name: 'Yes, use this date' }));
    expect(location.hash).toBe('#/today/2999-01-15');
    // The roll of that day does not ask again: its marks carry the explicit allow flag.
    expect(outsideWindow.isConfirmed('2999-01-15')).toBe(true);
  });

  it('shows a chosen day and its offerings', async () => {
    render(Today, { date: '2025-03-04' });
    expect(await screen.findByRole('heading', { name: 'Tuesday, March 4, 2025' })).toBeInTheDocument();
    expect(m.today).toHaveBeenCalledWith('2025-03-04');
    expect(screen.getByTestId('offering-o1')).toHaveAttribute('href', '#/roll/o1/2025-03-04');
    expect(screen.getByRole('link', { name: 'Back to today' })).toBeInTheDocument();
  });

  it('says there is no roster yet and offers to import one', async () => {
    m.today.mockResolvedValue([]);
    render(Today);
    const empty = await screen.findByTestId('no-roster');
    expect(empty).toHaveTextContent('No roster yet');
    await fireEvent.click(within(empty).getByRole('button', { name: 'Import roster' }));
    const dialog = await screen.findByRole('dialog', { name: 'Import roster' });
    expect(within(dialog).getByLabelText('Roster file (CSV)')).toHaveAttribute('type', 'file');
  });

  describe('rolls still to take', () => {
    const missing = [
      { date: '2025-03-03', id: 'o2', name: 'Biology', teacher_assignment_id: 't', active_students: 30, marked: 12, unsent: 0, state: 'partly' as const },
      { date: '2025-02-28', id: 'o1', name: 'Algebra I', teacher_assignment_id: 't', active_students: 28, marked: 0, unsent: 0, state: 'not_taken' as const },
    ];

    it("lists them under today's offerings, newest first, each a link to that roll", async () => {
      m.missingRolls.mockResolvedValue(missing);
      render(Today);
      const section = await screen.findByRole('region', { name: 'Rolls still to take' });
      expect(m.missingRolls).toHaveBeenCalledOnce();
      const links = within(section).getAllByRole('link');
      expect(links).toHaveLength(2);
      expect(links[0]).toHaveAttribute('href', '#/roll/o2/2025-03-03');
      expect(links[0]).toHaveTextContent('Monday, March 3, 2025');
      expect(links[0]).toHaveTextContent('Biology');
      expect(links[0]).toHaveTextContent('partly taken: 12 of 30 marked');
      expect(links[1]).toHaveAttribute('href', '#/roll/o1/2025-02-28');
      expect(links[1]).toHaveTextContent('Friday, February 28, 2025');
      expect(links[1]).toHaveTextContent('Algebra I');
      expect(links[1]).toHaveTextContent('not taken');
      // Below today's own offerings.
      const list = screen.getByTestId('today-list');
      expect(list.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    });

    it('speaks Spanish', async () => {
      m.missingRolls.mockResolvedValue(missing);
      const { locale } = await import('../lib/locale.svelte');
      locale.current = 'es';
      render(Today);
      const section = await screen.findByRole('region', { name: 'Asistencias pendientes' });
      expect(section).toHaveTextContent('tomada en parte: 12 de 30 marcados');
      expect(section).toHaveTextContent('sin tomar');
      expect(section).toHaveTextContent('lunes, 3 de marzo de 2025');
    });

    it('shows nothing when every roll is taken', async () => {
      render(Today);
      await screen.findByTestId('today-list');
      await waitFor(() => expect(m.missingRolls).toHaveBeenCalled());
      expect(screen.queryByTestId('missing-rolls')).toBeNull();
      expect(screen.queryByText('Rolls still to take')).toBeNull();
    });

    it('is reloaded when the sync status changes', async () => {
      const { rerender } = render(Today, { status: baseStatus });
      await screen.findByTestId('today-list');
      expect(screen.queryByTestId('missing-rolls')).toBeNull();
      m.missingRolls.mockResolvedValue(missing.slice(1));
      await rerender({ status: { ...baseStatus, synced: 3 } });
      const section = await screen.findByTestId('missing-rolls');
      expect(within(section).getAllByRole('link')).toHaveLength(1);
      expect(m.missingRolls).toHaveBeenCalledTimes(2);
    });

    it('is shown on today only', async () => {
      m.missingRolls.mockResolvedValue(missing);
      render(Today, { date: '2025-03-04' });
      await screen.findByTestId('today-list');
      expect(m.missingRolls).not.toHaveBeenCalled();
      expect(screen.queryByTestId('missing-rolls')).toBeNull();
    });
  });
});
