/**
 * The inspector's code tables (the socket's and the views'), apart from the code that
 * raises them so src/errors.ts can list every code without loading the inspector.
 */

export const INSPECT_CODES = {
  BAD_REQUEST: 'REMAPDB_INSPECT_BAD_REQUEST',
  TOO_LARGE: 'REMAPDB_INSPECT_TOO_LARGE',
  UNKNOWN_METHOD: 'REMAPDB_INSPECT_UNKNOWN_METHOD',
  FAILED: 'REMAPDB_INSPECT_FAILED',
  BUSY: 'REMAPDB_INSPECT_BUSY',
  NOT_RUNNING: 'REMAPDB_INSPECT_NOT_RUNNING',
  TIMEOUT: 'REMAPDB_INSPECT_TIMEOUT',
  PROTOCOL: 'REMAPDB_INSPECT_PROTOCOL',
} as const;
export type InspectCode = (typeof INSPECT_CODES)[keyof typeof INSPECT_CODES];

/** A view request's parameters that are not what the view accepts. */
export const VIEW_CODES = { BAD_PARAMS: 'REMAPDB_INSPECT_BAD_PARAMS', NOT_STATE: 'REMAPDB_INSPECT_NOT_STATE' } as const;
