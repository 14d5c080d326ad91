import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());

import * as ipc from '../lib/ipc';
import type { SchoolRow, SchoolView as View } from '../lib/ipc';
import { resetEachTest } from '../test/fake-ipc';
import SchoolView from './SchoolView.svelte';
import Counselor from '../screens/Counselor.svelte';

const m = vi.mocked(ipc);
resetEachTest();

function row(n: number, extra: Partial<SchoolRow> = {}): SchoolRow {
  return {
    student_id: `s${n}`,
    from: '2025-01-01',
    to: '2025-06-30',
    sessions: { present: 90, late: 2, absent: 6, excused: 2, total: 100 },
    attendance_rate: 0.92,
    days_observed: 50,
    days_absent: 4,
    excused_days_absent: 1,
    unexcused_days_absent: 3,
    absence_rate: 0.08,
    tier: 'at-risk',
    crdc_15_days: false,
    longest_absence_streak: 2,
    current_absence_streak: 0,
    by_course: [],
    by_month: [],
    full_name: `Student ${String(n).padStart(4, '0')}`,
    offerings: ['Algebra I', 'Biology'],
    absence_rate_change_30d: null,
    last_present: '2025-06-27',
    ...extra,
  };
}

const school = (students: SchoolRow[], total = students.length): View => ({
  from: '2025-01-01',
  to: '2025-06-30',
  as_of: null,
  total,
  students,
});

describe('school view', () => {
  it('shows the ranked rows with every column', async () => {
    m.schoolView.mockResolvedValue(
      school([
        row(1, {
          full_name: 'Beto Ruiz',
          tier: 'severe-chronic',
          absence_rate: 0.25,
          days_absent: 12.5,
          excused_days_absent: 2.5,
          unexcused_days_absent: 10,
          crdc_15_days: true,
          current_absence_streak: 3,
          absence_rate_change_30d: 4.5,
        }),
        row(2, { full_name: 'Ana Gómez', absence_rate_change_30d: -2 }),
      ], 7),
    );
    render(SchoolView, { from: null, to: null });
    const beto = await screen.findByTestId('school-row-s1');
    expect(m.schoolView).toHaveBeenCalledWith({ from: null, to: null, tiers: [], offering: null, search: null });
    expect(screen.getByTestId('school-count')).toHaveTextContent('2 of 7 students with records');
    expect(within(beto).getByRole('link', { name: 'Beto Ruiz' })).toHaveAttribute('href', '#/counselor/student/s1');
    expect(within(beto).getByTestId('tier-badge')).toHaveTextContent('Severe chronic absence');
    const col = (r: HTMLElement, c: string) => r.querySelector(`[data-col="${c}"]`);
    expect(col(beto, 'absence_rate')).toHaveTextContent('25%');
    expect(col(beto, 'days_absent')).toHaveTextContent('12.5 2.5 excused · 10 unexcused');
    expect(col(beto, 'days_observed')).toHaveTextContent('50');
    expect(col(beto, 'crdc')).toHaveTextContent('15+ days');
    expect(col(beto, 'streak')).toHaveTextContent('3');
    expect(within(beto).getByLabelText('up 4.5 points over the last 30 days')).toHaveTextContent('↑ 4.5');
    expect(col(beto, 'last_present')).toHaveTextContent('Jun 27, 2025');
    expect(beto).toHaveTextContent('Algebra I · Biology');
    const ana = screen.getByTestId('school-row-s2');
    expect(within(ana).getByLabelText('down 2 points over the last 30 days')).toHaveTextContent('↓ 2');
    expect(col(ana, 'crdc')).toHaveTextContent('');
    const rows = screen.getAllByRole('row');
    expect(rows[1]).toBe(beto);
  });

  it('renders only the rows in view of a large school and follows the keyboard', async () => {
    m.schoolView.mockResolvedValue(school(Array.from({ length: 1000 }, (_, i) => row(i))));
    render(SchoolView, { from: null, to: null });
    await screen.findByTestId('school-row-s0');
    const rendered = () => screen.getByTestId('school-rows').querySelectorAll('[data-index]').length;
    expect(rendered()).toBeLessThan(30);
    expect(screen.getByRole('table')).toHaveAttribute('aria-rowcount', '1001');
    const viewport = screen.getByTestId('school-rows');
    viewport.scrollTop = 48 * 500;
    await fireEvent.scroll(viewport);
    expect(await screen.findByTestId('school-row-s500')).toBeInTheDocument();
    expect(screen.queryByTestId('school-row-s0')).toBeNull();
    expect(rendered()).toBeLessThan(30);

    const link = within(screen.getByTestId('school-row-s500')).getByRole('link');
    link.focus();
    await fireEvent.keyDown(link, { key: 'ArrowDown' });
    await waitFor(() => expect(document.activeElement).toHaveTextContent('Student 0501'));
    await fireEvent.keyDown(document.activeElement!, { key: 'End' });
    await waitFor(() => expect(document.activeElement).toHaveTextContent('Student 0999'));
    await fireEvent.keyDown(document.activeElement!, { key: 'Home' });
    await waitFor(() => expect(document.activeElement).toHaveTextContent('Student 0000'));
  });

  it('asks the core again for each filter', async () => {
    m.offerings.mockResolvedValue([
      { id: 'o2', name: 'Biology', teacher_assignment_id: 't', active_students: 3 },
      { id: 'o1', name: 'Algebra I', teacher_assignment_id: 't', active_students: 3 },
    ]);
    render(SchoolView, { from: '2025-02-01', to: null });
    await waitFor(() => expect(m.schoolView).toHaveBeenCalled());
    await fireEvent.click(screen.getByLabelText('Severe chronic absence'));
    await fireEvent.click(screen.getByLabelText('At risk'));
    await waitFor(() =>
      expect(m.schoolView).toHaveBeenLastCalledWith({
        from: '2025-02-01',
        to: null,
        tiers: ['severe-chronic', 'at-risk'],
        offering: null,
        search: null,
      }),
    );
    const select = screen.getByTestId('filter-offering');
    await waitFor(() => expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual(['Every class', 'Algebra I', 'Biology']));
    await fireEvent.change(select, { target: { value: 'o2' } });
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: ' jose ' } });
    await waitFor(() =>
      expect(m.schoolView).toHaveBeenLastCalledWith({
        from: '2025-02-01',
        to: null,
        tiers: ['severe-chronic', 'at-risk'],
        offering: 'o2',
        search: 'jose',
      }),
    );
  });

  it('exports the call list with the filters shown', async () => {
    m.exportSchool.mockResolvedValue({ path: '/home/t/Downloads/rollbook-school.csv' });
    render(SchoolView, { from: null, to: '2025-06-30' });
    await fireEvent.click(screen.getByLabelText('Moderate chronic absence'));
    await fireEvent.click(screen.getByRole('button', { name: 'Call list (CSV)' }));
    await waitFor(() =>
      expect(m.exportSchool).toHaveBeenCalledWith(
        { from: null, to: '2025-06-30', tiers: ['moderate-chronic'], offering: null, search: null },
        'csv',
        'en',
      ),
    );
    expect(await screen.findByTestId('export-path')).toHaveTextContent('Saved to /home/t/Downloads/rollbook-school.csv');
    expect(screen.getByRole('button', { name: 'Printable call list' })).toBeInTheDocument();
  });

  it('is what the counselor screen opens on', async () => {
    m.schoolView.mockResolvedValue(school([row(1)]));
    render(Counselor);
    expect(await screen.findByTestId('school-view')).toBeInTheDocument();
    expect(await screen.findByTestId('school-row-s1')).toBeInTheDocument();
  });
});
