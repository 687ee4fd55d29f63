import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, type PDFFont, type PDFPage, rgb } from 'pdf-lib';
import dejaVuSans from './fonts/DejaVuSans.ttf';

// A4 in points, with 48 pt margins; the footer sits in the bottom margin.
const WIDTH = 595.28;
const HEIGHT = 841.89;
const MARGIN = 48;
const INK = rgb(0.12, 0.14, 0.18);
const MUTED = rgb(0.42, 0.45, 0.5);
const RULE = rgb(0.85, 0.87, 0.9);

export type Color = ReturnType<typeof rgb>;
export const SEVERITY_COLORS: Record<string, Color> = {
  critical: rgb(0.73, 0.11, 0.11),
  high: rgb(0.92, 0.35, 0.05),
  medium: rgb(0.85, 0.6, 0.02),
  low: rgb(0.15, 0.45, 0.75),
};
const BAR = rgb(0.2, 0.4, 0.7);

/** A table column: its heading, its share of the width, and whether its figures align right. */
export type Column = { heading: string; width: number; align?: 'right' };

/**
 * A flowing A4 document: headings, paragraphs, tables and bar charts go down the page and a new
 * page starts when one is full. DejaVu Sans (embedded, subset) draws names in Latin, Greek,
 * Cyrillic, Hebrew, Arabic and more; a character it lacks shows as a box instead of failing.
 * `finish()` writes the organization, the generation time and "page n of m" on every page.
 */
export class PdfReport {
  private page!: PDFPage;
  private y = 0;

  private constructor(
    private readonly doc: PDFDocument,
    private readonly font: PDFFont,
    private readonly footer: { organization: string; generatedAt: Date },
  ) {
    this.newPage();
  }

  static async create(title: string, footer: { organization: string; generatedAt: Date }): Promise<PdfReport> {
    const doc = await PDFDocument.create();
    doc.registerFontkit(fontkit);
    doc.setTitle(title);
    doc.setAuthor(footer.organization);
    doc.setProducer('NitiLens');
    doc.setCreationDate(footer.generatedAt);
    const font = await doc.embedFont(dejaVuSans, { subset: true });
    return new PdfReport(doc, font, footer);
  }

  private newPage(): void {
    this.page = this.doc.addPage([WIDTH, HEIGHT]);
    this.y = HEIGHT - MARGIN;
  }

  /** Starts a new page when fewer than `height` points are left above the footer. */
  private room(height: number): void {
    if (this.y - height < MARGIN + 16) this.newPage();
  }

  private fit(text: string, size: number, width: number): string {
    if (this.font.widthOfTextAtSize(text, size) <= width) return text;
    let end = text.length;
    while (end > 0 && this.font.widthOfTextAtSize(`${text.slice(0, end)}…`, size) > width) end--;
    return `${text.slice(0, end)}…`;
  }

  private lines(text: string, size: number, width: number): string[] {
    const out: string[] = [];
    for (const paragraph of text.split('\n')) {
      let line = '';
      for (const word of paragraph.split(/\s+/)) {
        const next = line ? `${line} ${word}` : word;
        if (line && this.font.widthOfTextAtSize(next, size) > width) {
          out.push(line);
          line = word;
        } else line = next;
      }
      out.push(this.fit(line, size, width));
    }
    return out;
  }

  title(text: string, subtitle: string): void {
    this.page.drawText(this.fit(text, 20, WIDTH - 2 * MARGIN), {
      x: MARGIN,
      y: this.y - 20,
      size: 20,
      font: this.font,
      color: INK,
    });
    this.page.drawText(this.fit(subtitle, 10, WIDTH - 2 * MARGIN), {
      x: MARGIN,
      y: this.y - 38,
      size: 10,
      font: this.font,
      color: MUTED,
    });
    this.y -= 56;
  }

  heading(text: string): void {
    this.room(60);
    this.y -= 10;
    this.page.drawText(this.fit(text, 13, WIDTH - 2 * MARGIN), {
      x: MARGIN,
      y: this.y - 13,
      size: 13,
      font: this.font,
      color: INK,
    });
    this.y -= 18;
    this.page.drawLine({
      start: { x: MARGIN, y: this.y },
      end: { x: WIDTH - MARGIN, y: this.y },
      thickness: 0.5,
      color: RULE,
    });
    this.y -= 8;
  }

  paragraph(text: string, size = 9.5, color: Color = INK): void {
    for (const line of this.lines(text, size, WIDTH - 2 * MARGIN)) {
      this.room(size + 4);
      this.page.drawText(line, { x: MARGIN, y: this.y - size, size, font: this.font, color });
      this.y -= size + 4;
    }
  }

  /** Figures side by side, three to a row: each a large number over its label. */
  figures(items: { label: string; value: string }[]): void {
    for (let start = 0; start < items.length; start += 3) this.figureRow(items.slice(start, start + 3));
  }

  private figureRow(items: { label: string; value: string }[]): void {
    this.room(48);
    const width = (WIDTH - 2 * MARGIN) / 3;
    items.forEach((item, i) => {
      const x = MARGIN + i * width;
      this.page.drawText(this.fit(item.value, 18, width - 8), {
        x,
        y: this.y - 20,
        size: 18,
        font: this.font,
        color: INK,
      });
      this.page.drawText(this.fit(item.label, 8.5, width - 8), {
        x,
        y: this.y - 34,
        size: 8.5,
        font: this.font,
        color: MUTED,
      });
    });
    this.y -= 46;
  }

  /** A table; the heading row is repeated on each new page it runs onto. */
  table(columns: Column[], rows: string[][], empty = 'None in this period.'): void {
    const size = 8.5;
    const total = WIDTH - 2 * MARGIN;
    const widths = columns.map((c) => c.width * total);
    const drawRow = (cells: string[], color: Color) => {
      let x = MARGIN;
      cells.forEach((cell, i) => {
        const width = widths[i]! - 6;
        const text = this.fit(cell, size, width);
        const offset = columns[i]!.align === 'right' ? width - this.font.widthOfTextAtSize(text, size) : 0;
        this.page.drawText(text, { x: x + offset, y: this.y - size, size, font: this.font, color });
        x += widths[i]!;
      });
      this.y -= size + 5;
    };
    this.room(2 * (size + 5));
    drawRow(
      columns.map((c) => c.heading),
      MUTED,
    );
    if (rows.length === 0) this.paragraph(empty, size, MUTED);
    for (const row of rows) {
      if (this.y - (size + 5) < MARGIN + 16) {
        this.newPage();
        drawRow(
          columns.map((c) => c.heading),
          MUTED,
        );
      }
      drawRow(row, INK);
    }
    this.y -= 4;
  }

  /** Horizontal bars, one per item, scaled to the largest; the value is written after each bar. */
  barChart(items: { label: string; value: number; color?: Color }[]): void {
    const rowHeight = 16;
    this.room(items.length * rowHeight + 8);
    const labelWidth = 130;
    const barSpace = WIDTH - 2 * MARGIN - labelWidth - 60;
    const max = Math.max(1, ...items.map((i) => i.value));
    for (const item of items) {
      const y = this.y - rowHeight + 4;
      this.page.drawText(this.fit(item.label, 9, labelWidth - 8), {
        x: MARGIN,
        y: y + 2,
        size: 9,
        font: this.font,
        color: INK,
      });
      const length = (item.value / max) * barSpace;
      if (length > 0)
        this.page.drawRectangle({
          x: MARGIN + labelWidth,
          y,
          width: Math.max(length, 1),
          height: 10,
          color: item.color ?? BAR,
        });
      this.page.drawText(item.value.toLocaleString('en-US'), {
        x: MARGIN + labelWidth + length + 6,
        y: y + 2,
        size: 9,
        font: this.font,
        color: MUTED,
      });
      this.y -= rowHeight;
    }
    this.y -= 8;
  }

  /** Vertical columns over time (one per day or week), with the first and last label under the axis. */
  columnChart(points: { label: string; value: number }[]): void {
    const height = 110;
    this.room(height + 30);
    const width = WIDTH - 2 * MARGIN;
    const max = Math.max(1, ...points.map((p) => p.value));
    const base = this.y - height;
    this.page.drawLine({
      start: { x: MARGIN, y: base },
      end: { x: MARGIN + width, y: base },
      thickness: 0.5,
      color: MUTED,
    });
    this.page.drawText(max.toLocaleString('en-US'), {
      x: MARGIN,
      y: this.y - 8,
      size: 8,
      font: this.font,
      color: MUTED,
    });
    const slot = width / Math.max(1, points.length);
    points.forEach((point, i) => {
      const h = (point.value / max) * (height - 14);
      if (h > 0)
        this.page.drawRectangle({
          x: MARGIN + i * slot + slot * 0.15,
          y: base,
          width: slot * 0.7,
          height: h,
          color: BAR,
        });
    });
    const first = points[0]?.label ?? '';
    const last = points.at(-1)?.label ?? '';
    this.page.drawText(first, { x: MARGIN, y: base - 12, size: 8, font: this.font, color: MUTED });
    this.page.drawText(last, {
      x: MARGIN + width - this.font.widthOfTextAtSize(last, 8),
      y: base - 12,
      size: 8,
      font: this.font,
      color: MUTED,
    });
    this.y = base - 22;
  }

  async finish(): Promise<Uint8Array> {
    const pages = this.doc.getPages();
    const generated = `Generated ${this.footer.generatedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
    pages.forEach((page, i) => {
      const size = 8;
      const number = `Page ${i + 1} of ${pages.length}`;
      page.drawLine({
        start: { x: MARGIN, y: MARGIN },
        end: { x: WIDTH - MARGIN, y: MARGIN },
        thickness: 0.5,
        color: RULE,
      });
      page.drawText(this.fit(`${this.footer.organization} · ${generated}`, size, WIDTH - 2 * MARGIN - 80), {
        x: MARGIN,
        y: MARGIN - 14,
        size,
        font: this.font,
        color: MUTED,
      });
      page.drawText(number, {
        x: WIDTH - MARGIN - this.font.widthOfTextAtSize(number, size),
        y: MARGIN - 14,
        size,
        font: this.font,
        color: MUTED,
      });
    });
    return this.doc.save();
  }
}
