/**
 * The Lambda entry point. Its dependencies are built at module load, during the cold start:
 * a missing or invalid environment variable fails the init phase naming it, before any
 * message is taken from the queue.
 */
import { dependenciesFromEnvironment } from './environment';
import { createHandler } from './handler';

export const handler = createHandler(dependenciesFromEnvironment());
