import type { Knex } from 'knex';
import { createJobTables, dropJobTables } from '../../src/index.ts';

/** A service's migration, as the job-queue tests run it: the jobs table in the service's own schema. */
export const up = (knex: Knex) => createJobTables(knex, 'queue_test');
export const down = (knex: Knex) => dropJobTables(knex, 'queue_test');
