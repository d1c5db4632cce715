import { describe, expect, it } from 'vitest';
import { emptySummary, fit, progressBar, row, shortClass, summaryText } from '../../../src/cli/output.js';

describe('output', () => {
  it('a progress bar fills with the share done and says the rate', () => {
    expect(progressBar(0, 200, 0, 80)).toBe(`[${'.'.repeat(40)}] 0/200 0% 0 rec/s`);
    expect(progressBar(50, 200, 2_000, 80)).toBe(`[${'#'.repeat(10)}${'.'.repeat(30)}] 50/200 25% 25 rec/s`);
    expect(progressBar(0, 0, 10, 80)).toMatch(/^\[#{40}\] 0\/0 100%/);
    // A narrow terminal keeps the line within its width (a bar of 10 at least).
    expect(progressBar(5, 10, 1_000, 40).length).toBeLessThanOrEqual(40);
  });

  it('rows are fixed-width, one line each, cut with an ellipsis', () => {
    expect(row(['1', 'VALUE_CONVERTER', 'a\nmulti-line message'], [3, 8], 30)).toBe(
      '1   VALUE_C… a ⏎ multi-line m…\n',
    );
    expect(fit('x'.repeat(20), 5)).toBe('xxxx…');
    expect(shortClass('org.apache.kafka.connect.errors.DataException')).toBe('DataException');
  });

  it('the summary names every count, and says when nothing was done', () => {
    const s = { ...emptySummary(), read: 5, republished: 3, review: 1, skippedByFilter: 1 };
    expect(summaryText(s, false)).toBe(
      'read 5, republished 3, skipped by filter 1, sent to review 1, failed 0\n',
    );
    expect(summaryText({ ...s, alreadyRepublished: 2 }, true)).toBe(
      'read 5, would be republished 3, skipped by filter 1, already republished 2, would be sent to review 1, failed 0 (dry run: nothing sent, committed or written)\n',
    );
  });
});
