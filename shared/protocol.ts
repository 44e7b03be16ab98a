/**
 * Custom messages between the client and the language server, declared once. Each says who sends it and why.
 */

/** Server → client: what the server is doing, for the language status item. */
export const STATUS_NOTIFICATION = 'driverGuard/status';

export interface StatusParams {
  state: 'ready' | 'analyzing' | 'scanning' | 'error';
  /** Short human text for the status item ("12 files scanned", "rule X failed: …"). */
  detail?: string;
}

/** Server → client: a setting value was rejected; the client shows it once as a warning. */
export const SETTINGS_WARNING_NOTIFICATION = 'driverGuard/settingsWarning';

export interface SettingsWarningParams {
  messages: string[];
}

/** Client → server: scan every C/C++ file of the workspace folders (the "Scan Workspace" command). */
export const SCAN_WORKSPACE_REQUEST = 'driverGuard/scanWorkspace';

export interface ScanWorkspaceParams {
  /** Limit the scan to these folder URIs; all workspace folders when absent. */
  folders?: string[];
}

export interface ScanWorkspaceResult {
  files: number;
  findings: number;
  skipped: number;
  cancelled: boolean;
}

/** Client → server: the current findings by checklist item for a folder (evidence for the checklist view). */
export const FINDINGS_REQUEST = 'driverGuard/findings';

export interface FindingsParams {
  folderUri?: string;
}

export interface FindingSummary {
  uri: string;
  ruleId: string;
  checklistItem: string;
  severity: 'error' | 'warning' | 'information' | 'hint';
  message: string;
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
}

export interface FindingsResult {
  findings: FindingSummary[];
}

/** Server → client: findings changed (a file was analyzed or scanned); the checklist view refreshes its evidence. */
export const FINDINGS_CHANGED_NOTIFICATION = 'driverGuard/findingsChanged';

/**
 * Client → server: the attack surface of a folder (the "Attack Surface" view, the threat-model export and the
 * checklist evidence), from open documents and the last workspace scan. Refresh on FINDINGS_CHANGED_NOTIFICATION.
 */
export const ATTACK_SURFACE_REQUEST = 'driverGuard/attackSurface';

export interface AttackSurfaceParams {
  folderUri?: string;
  /** Also render the Markdown threat model (links relative to the folder's root). */
  report?: boolean;
  title?: string;
  /** Also render each driver's data-flow SVG, named `<diagrams>.<driver>.svg` (the report embeds them). */
  diagrams?: string;
}

/** Locations in the model are `{ file: <document URI>, line: <0-based> }`. */
export interface SurfaceLocation {
  file: string;
  line: number;
}

export interface SurfaceFinding extends SurfaceLocation {
  ruleId: string;
  severity: 'error' | 'warning' | 'information' | 'hint';
  message: string;
  character: number;
}

export interface SurfaceHandler {
  dispatcher: string;
  caseLocation: SurfaceLocation;
  function?: string;
  location?: SurfaceLocation;
  reads: string[];
  writes: string[];
  lengthChecks: { text: string; location: SurfaceLocation }[];
  probes: number;
  findings: SurfaceFinding[];
}

export interface SurfaceIoctl {
  name: string;
  value?: number;
  method?: string;
  access?: string;
  definition?: SurfaceLocation;
  declaredOnly: boolean;
  undeclared: boolean;
  findings: SurfaceFinding[];
  handlers: SurfaceHandler[];
}

export interface SurfaceDevice {
  api: string;
  kmdf: boolean;
  control?: boolean;
  name?: string;
  nameExpression?: string;
  deviceType?: string;
  characteristics?: string;
  secureOpen: boolean;
  exclusive?: boolean;
  sddl?: string;
  sddlExpression?: string;
  openTo?: string;
  symbolicLinks: string[];
  interfaces: string[];
  security: 'sddl' | 'default';
  location: SurfaceLocation;
  findings: SurfaceFinding[];
}

export interface SurfaceSummaryCounts {
  devices: number;
  ioctls: number;
  openToAnyUser: number;
  defaultSecurity: number;
  withoutSecureOpen: number;
  methodNeither: number;
  anyAccess: number;
  declaredOnly: number;
  undeclared: number;
  findings: number;
}

export interface SurfaceDriver {
  name: string;
  folder: string;
  model: 'WDM' | 'KMDF' | 'unknown';
  driverEntry?: SurfaceLocation;
  devices: SurfaceDevice[];
  dispatch: { major: string; function: string; kmdf: boolean; location: SurfaceLocation; handlerLocation?: SurfaceLocation; findings: SurfaceFinding[] }[];
  queues: { config: string; defaultQueue: boolean; dispatchType?: string; callbacks: { field: string; function: string }[]; location: SurfaceLocation }[];
  ioctls: SurfaceIoctl[];
  summary: SurfaceSummaryCounts;
}

export interface AttackSurfaceResult {
  /** The model (`server/src/analysis/attack-surface.ts` AttackSurface; the client reads the fields declared here). */
  surface: { version: 1; drivers: SurfaceDriver[]; summary: SurfaceSummaryCounts };
  /** "3 devices, 14 IOCTLs, 2 open to any user". */
  summary: string;
  report?: string;
  diagrams?: { driver: string; file: string; svg: string }[];
}
