/**
 * A DGA work (código de obra) measured by several meters: the point that holds the work's DGA settings
 * (the designated point) and the member points whose `dga_work_point_id` names it. The work reports
 * caudal and totalizador summed over every meter and the water table of the designated point; a slot is
 * owed only when every meter has its numbers (a partial sum would under-report for good: a receipted
 * slot is never sent again).
 */
import type { SlotReadingDetail, SlotReadingResult } from './slot-reading.js';

/** Drops binary noise from a sum (0.1 + 0.2 → 0.3). */
const tidy = (x: number) => Number(x.toPrecision(12));

export interface MemberReading {
  pointId: number;
  result: SlotReadingResult;
}

export interface WorkMemberDetail {
  point_id: number;
  caudal_lps: number;
  totalizer_m3: number;
  totalizer_ts: string;
}

/** What went into a work's reading: the sums, and every meter's own numbers under `meters`. */
export type WorkReadingDetail = SlotReadingDetail & { meters?: WorkMemberDetail[] };

/** The work's reading from the designated point's and the members' own readings. */
export function combineWorkReading(
  designatedPoint: MemberReading,
  members: readonly MemberReading[],
): { ok: true; reading: { caudalLps: number; totalizerM3: number; waterTableM: number | null }; detail: WorkReadingDetail } | { ok: false; missing: string[] } {
  const designated = designatedPoint.result;
  if (members.length === 0) return designated;
  const missing = designated.ok ? [] : [...designated.missing];
  for (const m of members) {
    if (!m.result.ok) missing.push(...m.result.missing.map((x) => `point ${m.pointId} (same work): ${x}`));
  }
  if (!designated.ok || missing.length > 0) return { ok: false, missing };
  const all = [designatedPoint, ...members];
  const own = all.map((m) => m.result as Extract<SlotReadingResult, { ok: true }>);
  const caudalLps = tidy(own.reduce((a, r) => a + r.reading.caudalLps, 0));
  const totalizerM3 = tidy(own.reduce((a, r) => a + r.reading.totalizerM3, 0));
  return {
    ok: true,
    reading: { caudalLps, totalizerM3, waterTableM: designated.reading.waterTableM },
    detail: {
      ...designated.detail,
      caudal_lps: caudalLps,
      totalizer_m3: totalizerM3,
      meters: all.map((m, i) => ({
        point_id: m.pointId,
        caudal_lps: own[i]!.reading.caudalLps,
        totalizer_m3: own[i]!.reading.totalizerM3,
        totalizer_ts: own[i]!.detail.totalizer_ts,
      })),
    },
  };
}
