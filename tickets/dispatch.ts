/** Picks the service outlet for a ticket: nearest with free capacity and the model skill, rating breaks ties. */
import type { Outlet } from './types.js';

const EARTH_RADIUS_KM = 6371.0088;

export interface GeoPoint {
  lat: number;
  lon: number;
}

/** Great-circle distance in km (haversine). */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface OutletChoice {
  outlet: Outlet;
  distanceKm: number;
}

/**
 * The outlet that should take a ticket for `model` at `site`, or null when none has both the skill and
 * a free slot. Distances are compared in whole kilometres, so outlets in the same part of town count
 * as equally near and the better-rated one wins.
 */
export function chooseOutlet(
  outlets: readonly Outlet[],
  load: ReadonlyMap<string, number>,
  model: string,
  site: GeoPoint,
): OutletChoice | null {
  const candidates = outlets
    .filter((outlet) => outlet.skills.includes(model) && (load.get(outlet.id) ?? 0) < outlet.capacity)
    .map((outlet) => ({ outlet, distanceKm: distanceKm(site, outlet) }));
  candidates.sort(
    (a, b) =>
      Math.round(a.distanceKm) - Math.round(b.distanceKm) ||
      b.outlet.rating - a.outlet.rating ||
      a.distanceKm - b.distanceKm ||
      a.outlet.id.localeCompare(b.outlet.id),
  );
  return candidates[0] ?? null;
}
