/**
 * A worker in its own process, for the crash test in job-queue.test.ts: its handler records that it
 * started (a row in `handler_runs`, written outside any transaction) and then never finishes, so the
 * test can SIGKILL the process mid-job. Argument: JSON { location, queue, leaseMs }.
 */
import { defineQueue, openDatabase, startWorker } from '../src/index.ts';

interface Arguments {
  location: { databaseUrl?: string; dataDir: string; schema: string };
  queue: string;
  leaseMs: number;
}

const { location, queue, leaseMs } = JSON.parse(process.argv[2] ?? '{}') as Arguments;
const db = await openDatabase(location);
const crashQueue = defineQueue<{ label: string }>({ schema: location.schema, name: queue });

startWorker(
  db.knex,
  crashQueue,
  async (job) => {
    await db.knex('handler_runs').withSchema(location.schema).insert({
      job_id: job.id,
      attempt: job.attempt,
      pid: process.pid,
      outcome: 'started',
    });
    await new Promise(() => {}); // mid-job until killed
  },
  { leaseMs, pollIntervalMs: 100 },
);
process.stdout.write('worker started\n');
