/**
 * The re-check function's entry point (bundled as recheck.js beside the detect function): its
 * dependencies are built during the cold start, so a missing variable fails the init phase.
 */
import { recheckDependenciesFromEnvironment } from './environment';
import { createRecheckHandler } from './handler';

export const handler = createRecheckHandler(recheckDependenciesFromEnvironment());
