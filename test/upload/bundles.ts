/** Bundles for upload tests: a valid one and one with located problems. */
import { CANONICAL, clone, smallBundle, toCsv, writeBundle, type SmallBundleOptions } from '../helpers/bundles';

export function validBundle(dir: string, o: SmallBundleOptions = {}): string {
  return writeBundle(dir, smallBundle(o));
}

/** A bundle whose 3rd data row has a probability that is not a number and 5th an unknown run. */
export function brokenBundle(dir: string, o: SmallBundleOptions = {}): string {
  const b = smallBundle(o);
  const rows = clone(b.rows);
  rows[2]!.p_support = 'lots';
  rows[4]!.run_id = 'nobody';
  return writeBundle(dir, { manifest: b.manifest, files: { 'observations.csv': toCsv(rows, CANONICAL) } });
}
