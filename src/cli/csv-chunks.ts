/**
 * Splits a product CSV into files the hub accepts in one request (its body limit is 1 MiB): the
 * header plus up to `maxRows` records and about `maxBytes`. Records are parsed as the hub parses
 * them and written back with quotes where needed, so quoted line breaks never split a record;
 * blank rows are kept, so the hub's row numbers plus the chunk's offset are the file's rows.
 */
import { parse } from "csv-parse/sync";

export interface CsvChunk {
  /** Header + this chunk's records, CRLF-separated. */
  text: string;
  /** Data records before this chunk: the hub's row r is row r + offset of the file. */
  offset: number;
  rows: number;
}

export interface SplitCsv {
  chunks: CsvChunk[];
  /** Data records in the file (blank ones included, as the hub numbers them). */
  rows: number;
}

function cell(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(record: string[]): string {
  return record.map(cell).join(",");
}

/** Throws the parser's error for an unreadable file. */
export function splitCsv(text: string, maxRows: number, maxBytes: number): SplitCsv {
  const records = parse(text, {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: false,
    trim: false,
  }) as string[][];
  if (records.length === 0) return { chunks: [], rows: 0 };
  const header = csvLine(records[0]);
  const chunks: CsvChunk[] = [];
  let lines: string[] = [];
  let bytes = Buffer.byteLength(header) + 2;
  let offset = 0;
  const flush = () => {
    if (lines.length === 0) return;
    chunks.push({ text: [header, ...lines].join("\r\n"), offset, rows: lines.length });
    offset += lines.length;
    lines = [];
    bytes = Buffer.byteLength(header) + 2;
  };
  for (let i = 1; i < records.length; i++) {
    const line = csvLine(records[i]);
    const size = Buffer.byteLength(line) + 2;
    if (lines.length >= maxRows || (lines.length > 0 && bytes + size > maxBytes)) flush();
    lines.push(line);
    bytes += size;
  }
  flush();
  return { chunks, rows: records.length - 1 };
}
