import { ValidationError } from '../errors.js';

/** Validates a coordinate pair: both or neither, within range, at most 8 decimals kept. */
export function validateCoordinates(latitude: number | null | undefined, longitude: number | null | undefined): void {
  const hasLat = latitude !== null && latitude !== undefined;
  const hasLon = longitude !== null && longitude !== undefined;
  if (hasLat !== hasLon) {
    throw new ValidationError(
      `${hasLat ? 'longitude' : 'latitude'} is required when ${hasLat ? 'latitude' : 'longitude'} is given (both or neither)`,
      hasLat ? 'longitude' : 'latitude',
    );
  }
  if (!hasLat) return;
  if (!Number.isFinite(latitude) || latitude! < -90 || latitude! > 90) {
    throw new ValidationError('latitude must be between -90 and 90', 'latitude');
  }
  if (!Number.isFinite(longitude) || longitude! < -180 || longitude! > 180) {
    throw new ValidationError('longitude must be between -180 and 180', 'longitude');
  }
}

/** Parses `minLon,minLat,maxLon,maxLat`. */
export function parseBbox(text: string): [number, number, number, number] {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 4 || parts.some((n) => !Number.isFinite(n))) {
    throw new ValidationError('bbox must be four numbers: minLon,minLat,maxLon,maxLat', 'bbox');
  }
  const [minLon, minLat, maxLon, maxLat] = parts as [number, number, number, number];
  if (minLat < -90 || maxLat > 90 || minLon < -180 || maxLon > 180) {
    throw new ValidationError('bbox latitudes must be within -90..90 and longitudes within -180..180', 'bbox');
  }
  if (minLon > maxLon || minLat > maxLat) {
    throw new ValidationError('bbox minimums must not exceed maximums (minLon,minLat,maxLon,maxLat)', 'bbox');
  }
  return [minLon, minLat, maxLon, maxLat];
}
