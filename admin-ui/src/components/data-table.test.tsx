import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, test, vi } from 'vitest';
import { DataTable, type Column } from './data-table.tsx';

interface Film {
  id: string;
  title: string;
  year: number;
}

const columns: Column<Film>[] = [
  { key: 'title', header: 'Title', cell: (f) => f.title, sortValue: (f) => f.title },
  { key: 'year', header: 'Year', cell: (f) => String(f.year), sortValue: (f) => f.year },
  { key: 'id', header: 'Id', cell: (f) => f.id },
];

const films: Film[] = Array.from({ length: 25 }, (_, i) => ({
  id: `f${i}`,
  title: `Film ${String.fromCharCode(65 + ((i * 7) % 25))}`,
  year: 1980 + i,
}));

const firstColumn = () =>
  screen
    .getAllByRole('row')
    .slice(1)
    .map((row) => within(row).getAllByRole('cell')[0]!.textContent);

describe('DataTable', () => {
  test('while rows are loading it says so, in a live region', () => {
    render(
      <DataTable caption="Films" columns={columns} rows={undefined} rowKey={(f) => f.id} empty={{ title: 'None' }} />,
    );
    expect(screen.getByRole('status').textContent).toMatch(/Loading films…/);
    expect(screen.queryByRole('table')).toBeNull();
  });

  test('an empty list shows the empty state with its hint and action, not an empty table', () => {
    render(
      <DataTable
        caption="Films"
        columns={columns}
        rows={[]}
        rowKey={(f) => f.id}
        empty={{ title: 'No films yet.', hint: 'Import a catalogue.', action: <button type="button">Import</button> }}
      />,
    );
    expect(screen.getByText('No films yet.')).toBeTruthy();
    expect(screen.getByText('Import a catalogue.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Import' })).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });

  test('a failed first load shows the error with a retry', async () => {
    const retry = vi.fn();
    render(
      <DataTable
        caption="Films"
        columns={columns}
        rows={undefined}
        error="The provider could not be reached."
        onRetry={retry}
        rowKey={(f) => f.id}
        empty={{ title: 'None' }}
      />,
    );
    expect(screen.getByRole('alert').textContent).toMatch(/could not be reached/);
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(retry).toHaveBeenCalledOnce();
  });

  test('sorts on the client by a column, both ways, and marks the column for screen readers', async () => {
    render(
      <DataTable
        caption="Films"
        columns={columns}
        rows={films.slice(0, 5)}
        rowKey={(f) => f.id}
        sort={{ key: 'year', direction: 'ascending' }}
        empty={{ title: 'None' }}
      />,
    );
    expect(firstColumn()).toEqual(films.slice(0, 5).map((f) => f.title));
    const title = screen.getByRole('button', { name: /Title/ });
    await userEvent.click(title);
    expect(firstColumn()).toEqual(
      films
        .slice(0, 5)
        .map((f) => f.title)
        .sort(),
    );
    expect(screen.getByRole('columnheader', { name: /Title/ }).getAttribute('aria-sort')).toBe('ascending');
    await userEvent.click(title);
    expect(firstColumn()).toEqual(
      films
        .slice(0, 5)
        .map((f) => f.title)
        .sort()
        .reverse(),
    );
    expect(screen.getByRole('columnheader', { name: /Title/ }).getAttribute('aria-sort')).toBe('descending');
    expect(screen.queryByRole('button', { name: /^Id/ })).toBeNull();
  });

  test('pages a long list on the client', async () => {
    render(
      <DataTable
        caption="Films"
        columns={columns}
        rows={films}
        rowKey={(f) => f.id}
        sort={{ key: 'year', direction: 'ascending' }}
        pageSize={10}
        empty={{ title: 'None' }}
      />,
    );
    expect(screen.getAllByRole('row')).toHaveLength(11);
    const pager = screen.getByRole('navigation', { name: 'Films pages' });
    expect(pager.textContent).toMatch(/1–10 of 25/);
    expect(within(pager).getByRole('button', { name: 'Previous' }).hasAttribute('disabled')).toBe(true);
    await userEvent.click(within(pager).getByRole('button', { name: 'Next' }));
    expect(pager.textContent).toMatch(/11–20 of 25/);
    expect(firstColumn()[0]).toBe(films[10]!.title);
    await userEvent.click(within(pager).getByRole('button', { name: 'Next' }));
    expect(pager.textContent).toMatch(/21–25 of 25/);
    expect(screen.getAllByRole('row')).toHaveLength(6);
    expect(within(pager).getByRole('button', { name: 'Next' }).hasAttribute('disabled')).toBe(true);
  });

  test('when the list shrinks below the page being read (the last row deleted), it shows the last page left', async () => {
    const table = (rows: Film[]) => (
      <DataTable
        caption="Films"
        columns={columns}
        rows={rows}
        rowKey={(f) => f.id}
        sort={{ key: 'year', direction: 'ascending' }}
        pageSize={10}
        empty={{ title: 'None' }}
      />
    );
    const { rerender } = render(table(films.slice(0, 21)));
    const pager = screen.getByRole('navigation', { name: 'Films pages' });
    await userEvent.click(within(pager).getByRole('button', { name: 'Next' }));
    await userEvent.click(within(pager).getByRole('button', { name: 'Next' }));
    expect(firstColumn()).toEqual([films[20]!.title]);
    rerender(table(films.slice(0, 20)));
    expect(firstColumn()).toEqual(films.slice(10, 20).map((f) => f.title));
    expect(screen.getByRole('navigation', { name: 'Films pages' }).textContent).toMatch(/11–20 of 20/);
  });

  test('in server mode it asks for another sort or page instead of reordering what it has', async () => {
    const onSortChange = vi.fn();
    const onPageChange = vi.fn();
    render(
      <DataTable
        caption="Films"
        columns={columns}
        rows={films.slice(0, 10)}
        rowKey={(f) => f.id}
        sort={{ key: 'title', direction: 'ascending' }}
        onSortChange={onSortChange}
        page={{ number: 0, size: 10, total: 25 }}
        onPageChange={onPageChange}
        empty={{ title: 'None' }}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: /Title/ }));
    expect(onSortChange).toHaveBeenCalledWith({ key: 'title', direction: 'descending' });
    expect(firstColumn()).toEqual(films.slice(0, 10).map((f) => f.title));
    await userEvent.click(screen.getByRole('button', { name: 'Next' }));
    expect(onPageChange).toHaveBeenCalledWith(1);
  });
});
