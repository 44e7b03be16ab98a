/**
 * The `driverGuard.*` settings: one typed shape with defaults and a validator shared by the server (which reads
 * them per resource) and the client. Invalid values never throw: they fall back to the default with a warning
 * that names the setting.
 */

export type RuleSeveritySetting = 'error' | 'warning' | 'information' | 'hint' | 'off';

export interface DriverGuardSettings {
  enable: boolean;
  rules: Record<string, RuleSeveritySetting>;
  exclude: string[];
  maxFileSizeKB: number;
}

export const DEFAULT_SETTINGS: Readonly<DriverGuardSettings> = Object.freeze({
  enable: true,
  rules: {},
  exclude: [],
  maxFileSizeKB: 2048,
});

const SEVERITIES = new Set<string>(['error', 'warning', 'information', 'hint', 'off']);

export interface ValidatedSettings {
  settings: DriverGuardSettings;
  /** One message per rejected value, naming the setting. */
  warnings: string[];
}

/** Validates raw configuration (anything the user typed in settings.json) into settings plus warnings. */
export function validateSettings(raw: unknown, knownRuleIds?: ReadonlySet<string>): ValidatedSettings {
  const warnings: string[] = [];
  const settings: DriverGuardSettings = { ...DEFAULT_SETTINGS, rules: {}, exclude: [] };
  if (raw === null || raw === undefined) return { settings, warnings };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    warnings.push('driverGuard settings must be an object; using the defaults.');
    return { settings, warnings };
  }
  const value = raw as Record<string, unknown>;
  if (value.enable !== undefined) {
    if (typeof value.enable === 'boolean') settings.enable = value.enable;
    else warnings.push(`driverGuard.enable must be true or false (got ${JSON.stringify(value.enable)}); using ${DEFAULT_SETTINGS.enable}.`);
  }
  if (value.rules !== undefined) {
    if (value.rules && typeof value.rules === 'object' && !Array.isArray(value.rules)) {
      for (const [id, severity] of Object.entries(value.rules as Record<string, unknown>)) {
        if (knownRuleIds && !knownRuleIds.has(id)) {
          warnings.push(`driverGuard.rules: unknown rule '${id}' is ignored.`);
        } else if (typeof severity === 'string' && SEVERITIES.has(severity)) {
          settings.rules[id] = severity as RuleSeveritySetting;
        } else {
          warnings.push(`driverGuard.rules.${id} must be one of error, warning, information, hint, off (got ${JSON.stringify(severity)}); using the rule's default.`);
        }
      }
    } else {
      warnings.push('driverGuard.rules must be an object mapping rule ids to a severity; using the defaults.');
    }
  }
  if (value.exclude !== undefined) {
    if (Array.isArray(value.exclude)) {
      for (const pattern of value.exclude) {
        if (typeof pattern === 'string' && pattern.trim() !== '') settings.exclude.push(pattern);
        else warnings.push(`driverGuard.exclude entries must be non-empty glob strings (got ${JSON.stringify(pattern)}); entry ignored.`);
      }
    } else {
      warnings.push('driverGuard.exclude must be an array of glob patterns; using [].');
    }
  }
  if (value.maxFileSizeKB !== undefined) {
    const size = value.maxFileSizeKB;
    if (typeof size === 'number' && Number.isFinite(size) && size >= 1) settings.maxFileSizeKB = size;
    else warnings.push(`driverGuard.maxFileSizeKB must be a number of at least 1 (got ${JSON.stringify(size)}); using ${DEFAULT_SETTINGS.maxFileSizeKB}.`);
  }
  return { settings, warnings };
}
