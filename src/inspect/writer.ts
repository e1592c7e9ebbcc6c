// Where an inspector's text goes. The CLI passes its buffered stdout or export's -o file (cli/output.ts); any
// object with these two methods will do, such as one that collects the text in a string.
export interface TextWriter {
  /** Appends `s` as it is. */
  write(s: string): void;
  /** Appends `s` and a newline. */
  line(s: string): void;
}
