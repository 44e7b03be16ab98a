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
