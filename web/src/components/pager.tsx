import { ChevronLeft, ChevronRight } from 'lucide-react';
import { useState } from 'react';
import { Button } from './ui/button';

/** Cursor pagination: the cursors of the pages seen so far, so Previous goes back exactly. */
export function useCursorPages() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  return {
    cursor,
    page: cursors.length,
    next: (nextCursor: string) => setCursors((previous) => [...previous, nextCursor]),
    previous: () => setCursors((previous) => (previous.length > 1 ? previous.slice(0, -1) : previous)),
    reset: () => setCursors([undefined]),
  };
}

export function Pager({
  pages,
  nextCursor,
}: {
  pages: ReturnType<typeof useCursorPages>;
  nextCursor: string | null | undefined;
}) {
  if (pages.page === 1 && !nextCursor) return null;
  return (
    <nav aria-label="Pagination" className="flex items-center justify-end gap-2 pt-3">
      <span className="text-sm text-muted-foreground">Page {pages.page}</span>
      <Button variant="outline" size="sm" onClick={pages.previous} disabled={pages.page === 1}>
        <ChevronLeft /> Previous
      </Button>
      <Button variant="outline" size="sm" onClick={() => nextCursor && pages.next(nextCursor)} disabled={!nextCursor}>
        Next <ChevronRight />
      </Button>
    </nav>
  );
}
