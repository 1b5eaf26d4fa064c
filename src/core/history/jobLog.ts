/** Where log lines go besides the job's own log (the extension's Log channel has these four). */
export interface LogSink {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A line a client tool printed, as it printed it. */
  tool(line: string): void;
}

/**
 * One job's log: every line the job logs (its command lines, what the client programs printed,
 * how it ended), passed on to the extension's log as before and kept, with its time and level,
 * for the job's log file in the history.
 */
export class JobLog implements LogSink {
  private readonly lines: string[] = [];

  constructor(
    private readonly forward?: LogSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  info(message: string): void {
    this.keep('info', message);
    this.forward?.info(message);
  }

  warn(message: string): void {
    this.keep('warning', message);
    this.forward?.warn(message);
  }

  error(message: string): void {
    this.keep('error', message);
    this.forward?.error(message);
  }

  tool(line: string): void {
    this.keep('tool', line);
    this.forward?.tool(line);
  }

  /** The log so far, one line per message (a message of several lines keeps them, indented). */
  text(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }

  private keep(level: string, message: string): void {
    const [first = '', ...rest] = message.split(/\r?\n/);
    this.lines.push(`${this.now().toISOString()} [${level}] ${first}`, ...rest.map((r) => `    ${r}`));
  }
}
