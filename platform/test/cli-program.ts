/**
 * A small command-line tool on platform's CLI runner, for cli-runner.test.ts to run as a real
 * process: `ok` prints and leaves a timer running (the runner still exits), `fail` throws,
 * `escape` fails outside the command (an error event nobody awaited), `usage` is malformed.
 */
import { runCli, UsageError } from '../src/index.ts';

await runCli({
  usage: () => 'Usage: cli-program ok|fail|escape|usage',
  async run([command]) {
    switch (command) {
      case 'ok':
        process.stdout.write('done\n');
        setInterval(() => {}, 1000); // what a forgotten pool timer does: the runner exits regardless
        return;
      case 'fail':
        throw new Error('boom');
      case 'escape':
        setTimeout(() => {
          throw new Error('escaped');
        }, 10);
        await new Promise((resolve) => setTimeout(resolve, 5000));
        return;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  },
});
