/** The detector registry: every detector, in the order their findings are reported. */
import type { Detector } from './detector';
import { detector as humanPrincipal } from './human-principal';
import { detector as unexpectedCaller } from './unexpected-caller';
import { detector as sourceIp } from './source-ip';
import { detector as sessionLocations } from './session-locations';
import { detector as callVolume } from './call-volume';
import { detector as sessionName } from './session-name';
import { detector as externalId } from './external-id';
import { detector as targetRole } from './target-role';
import { detector as failedAssume } from './failed-assume';
import { detector as region } from './region';
import { detector as sessionRequest } from './session-request';
import { detector as client } from './client';

/** All detectors. */
export const DETECTORS: readonly Detector[] = [
  humanPrincipal,
  unexpectedCaller,
  sourceIp,
  sessionLocations,
  callVolume,
  sessionName,
  externalId,
  targetRole,
  failedAssume,
  region,
  sessionRequest,
  client,
];
