import { listCommand } from './listCommand';
import { runProgram } from './program';

/**
 * `pg-dump-explorer list FILE` on its own: a CommonJS bundle of just the listing (dist/cli/list.cjs),
 * which dist/cli.js runs for exactly these arguments. Most of the time of a listing is the
 * program's start, and this start skips the ES module loader and the chunks of the whole CLI.
 * Every other command line, `list FILE --json` too, goes to the whole CLI (src/cli.ts).
 */
const [, file] = process.argv.slice(2);
runProgram(() => listCommand(file!, false), '');
