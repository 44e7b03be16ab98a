import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SETTINGS, validateSettings } from '../../shared/settings';

describe('validateSettings', () => {
  const known = new Set(['deprecated-pool-alloc', 'ioctl-method-neither']);

  it('accepts valid values', () => {
    const { settings, warnings } = validateSettings({ enable: false, rules: { 'deprecated-pool-alloc': 'off' }, exclude: ['**/ext/**'], maxFileSizeKB: 10 }, known);
    assert.deepEqual(warnings, []);
    assert.deepEqual(settings, { enable: false, rules: { 'deprecated-pool-alloc': 'off' }, exclude: ['**/ext/**'], maxFileSizeKB: 10 });
  });

  it('falls back to defaults with a warning naming each bad setting', () => {
    const { settings, warnings } = validateSettings({ enable: 'yes', rules: { 'deprecated-pool-alloc': 'loud', 'no-such-rule': 'off' }, exclude: 'src', maxFileSizeKB: -5 }, known);
    assert.deepEqual(settings, { ...DEFAULT_SETTINGS, rules: {}, exclude: [] });
    assert.equal(warnings.length, 5);
    for (const name of ['driverGuard.enable', 'driverGuard.rules.deprecated-pool-alloc', "unknown rule 'no-such-rule'", 'driverGuard.exclude', 'driverGuard.maxFileSizeKB']) {
      assert.ok(warnings.some((warning) => warning.includes(name)), `a warning mentions ${name}: ${warnings.join(' | ')}`);
    }
  });

  it('survives non-object settings and bad entries inside arrays', () => {
    assert.equal(validateSettings('nonsense').warnings.length, 1);
    assert.deepEqual(validateSettings(undefined).settings, { ...DEFAULT_SETTINGS, rules: {}, exclude: [] });
    const { settings, warnings } = validateSettings({ exclude: ['ok/**', 42, ''], rules: [] });
    assert.deepEqual(settings.exclude, ['ok/**']);
    assert.equal(warnings.length, 3);
  });
});
