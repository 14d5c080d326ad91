import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';

vi.mock('../lib/ipc', async () => (await import('../test/fake-ipc')).fakeIpc());

import * as ipc from '../lib/ipc';
import type { Chart, StudentView } from '../lib/ipc';
import { resetEachTest } from '../test/fake-ipc';
import { localIsoDate, monthStart } from '../lib/dates';
import { locale } from '../lib/locale.svelte';
import Counselor from './Counselor.svelte';

const m = vi.mocked(ipc);

const chart = (title: string): Chart => ({
  title,
  alt: `${title}: the numbers in words`,
  svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" role="img" aria-label="${title}"><title>${title}</title><rect width="10" height="10"/></svg>`,
});

const view: StudentView = {
  student_id: 's1',
  name: 'Ana Gómez',
  tier_label: 'Moderate chronic absence',
  report: {
    student_id: 's1',
    from: null,
    to: null,
    sessions: { present: 40, late: 3, absent: 5, excused: 2, total: 50 },
    attendance_rate: 0.86,
    days_observed: 25,
    days_absent: 3.5,
    excused_days_absent: 1,
    unexcused_days_absent: 2.5,
    absence_rate: 0.14,
    tier: 'moderate-chronic',
    crdc_15_days: false,
    longest_absence_streak: 2,
    current_absence_streak: 1,
    by_course: [],
    by_month: [],
  },
  charts: {
    breakdown: chart('Sessions by status'),
    monthly: chart('Attendance rate by month'),
    heatmap: chart('Absence by school day'),
    by_course: chart('Attendance rate by course'),
    last_days: chart('Last 5 observed days'),
  },
};

resetEachTest();
beforeEach(() => {
  m.studentView.mockResolvedValue(view);
  m.today.mockResolvedValue([
    { id: 'o1', name: 'Algebra I', teacher_assignment_id: 't', active_students: 3, marked: 0, unsent: 0, state: 'not_taken' },
  ]);
});

describe('counselor', () => {
  it("renders a student's measures, tier and charts from student_view", async () => {
    render(Counselor, { student: 's1' });
    const report = await screen.findByTestId('student-report');
    expect(m.studentView).toHaveBeenCalledWith('s1', null, null, 'light', 'en');
    expect(within(report).getByRole('heading', { name: 'Ana Gómez' })).toBeInTheDocument();
    const tier = within(report).getByTestId('tier-badge');
    expect(tier).toHaveTextContent('Moderate chronic absence');
    expect(tier.querySelector('svg')).not.toBeNull();
    const measure = (key: string) => report.querySelector(`[data-measure="${key}"]`);
    expect(measure('sessions')).toHaveTextContent('Sessions 50');
    expect(measure('sessions')).toHaveTextContent('40 present · 3 late · 5 absent · 2 excused');
    expect(measure('attendance_rate')).toHaveTextContent('86%');
    expect(measure('days_observed')).toHaveTextContent('25');
    expect(measure('days_absent')).toHaveTextContent('3.5');
    expect(measure('days_absent')).toHaveTextContent('1 excused · 2.5 unexcused');
    expect(measure('absence_rate')).toHaveTextContent('14%');
    expect(measure('crdc_15_days')).toHaveTextContent('No');
    expect(measure('longest_absence_streak')).toHaveTextContent('2 days');
    expect(measure('current_absence_streak')).toHaveTextContent('1 day');

    const figures = within(report).getAllByRole('figure');
    expect(figures).toHaveLength(5);
    const heat = within(report).getByTestId('chart-heatmap');
    expect(within(heat).getByRole('img', { name: 'Absence by school day: the numbers in words' })).toBeInTheDocument();
    expect(heat.querySelector('figcaption')).toHaveTextContent('Absence by school day');
    expect(heat.querySelector('svg rect')).not.toBeNull();
  });

  it('asks again for another range and in Spanish', async () => {
    render(Counselor, { student: 's1' });
    await screen.findByTestId('student-report');
    await fireEvent.click(screen.getByRole('button', { name: 'This month' }));
    const today = localIsoDate();
    await waitFor(() => expect(m.studentView).toHaveBeenLastCalledWith('s1', monthStart(today), today, 'light', 'en'));
    await fireEvent.click(screen.getByRole('button', { name: 'Last 12 months' }));
    await waitFor(() => expect(m.studentView).toHaveBeenLastCalledWith('s1', null, null, 'light', 'en'));
    await fireEvent.input(screen.getByLabelText('From'), { target: { value: '2025-02-01' } });
    await waitFor(() => expect(m.studentView).toHaveBeenLastCalledWith('s1', '2025-02-01', null, 'light', 'en'));
    locale.current = 'es';
    await waitFor(() => expect(m.studentView).toHaveBeenLastCalledWith('s1', '2025-02-01', null, 'light', 'es'));
    expect(await screen.findByText('Ausentismo crónico moderado')).toBeInTheDocument();
  });

  it('exports and says where the file went', async () => {
    m.exportStudent.mockResolvedValue({ path: '/home/t/Downloads/ana-gomez.html' });
    render(Counselor, { student: 's1' });
    await screen.findByTestId('student-report');
    await fireEvent.click(screen.getByRole('button', { name: 'Printable report' }));
    await waitFor(() => expect(m.exportStudent).toHaveBeenCalledWith('s1', null, null, 'html'));
    expect(await screen.findByTestId('export-path')).toHaveTextContent('Saved to /home/t/Downloads/ana-gomez.html');
    for (const name of ['CSV', 'Charts (SVG)', 'Charts (PNG)']) {
      expect(screen.getByRole('button', { name })).toBeInTheDocument();
    }
  });

  it('searches students by name after a pause', async () => {
    m.searchStudents.mockResolvedValue([{ id: 's1', full_name: 'Ana Gómez', offerings: [{ id: 'o1', name: 'Algebra I' }, { id: 'o2', name: 'Biology' }] }]);
    render(Counselor);
    await fireEvent.input(screen.getByLabelText('Find a student'), { target: { value: 'an' } });
    await fireEvent.input(screen.getByLabelText('Find a student'), { target: { value: 'ana' } });
    const hit = await screen.findByTestId('student-s1');
    expect(m.searchStudents).toHaveBeenCalledTimes(1);
    expect(m.searchStudents).toHaveBeenCalledWith('ana');
    expect(hit).toHaveAttribute('href', '#/counselor/student/s1');
    expect(hit).toHaveTextContent('Algebra I · Biology');
  });

  it('opens a class with its charts and students, each a way to their report', async () => {
    m.classView.mockResolvedValue({
      offering_id: 'o1',
      name: 'Algebra I',
      from: null,
      to: null,
      overview: {
        offering_id: 'o1',
        offering_name: 'Algebra I',
        daily: [],
        students: [
          { student_id: 's2', name: 'Beto Ruiz', days_observed: 20, days_absent: 5, absence_rate: 0.25, tier: 'severe-chronic' },
          { student_id: 's1', name: 'Ana Gómez', days_observed: 20, days_absent: 0, absence_rate: 0, tier: 'satisfactory' },
        ],
      },
      charts: { daily: chart('Daily attendance rate'), at_risk: chart('Students by absence rate') },
    });
    render(Counselor, { offering: 'o1' });
    const report = await screen.findByTestId('class-report');
    expect(m.classView).toHaveBeenCalledWith('o1', null, null, 'light', 'en');
    expect(within(report).getAllByRole('figure')).toHaveLength(2);
    const beto = within(report).getByRole('link', { name: 'Beto Ruiz' });
    expect(beto).toHaveAttribute('href', '#/counselor/class/o1/student/s2');
    expect(beto.closest('tr')).toHaveTextContent('Severe chronic absence');
    expect(beto.closest('tr')).toHaveTextContent('25%');
    expect(await screen.findByTestId('class-o1')).toHaveAttribute('aria-current', 'page');
  });
});
