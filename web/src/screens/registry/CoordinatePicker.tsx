/**
 * A map to place a point by clicking: the marker moves to the click and the form's latitude and
 * longitude follow. Loaded only when a form shows it (MapLibre is large); the fields stay the
 * keyboard's way to enter coordinates.
 */
import { useEffect, useRef, useState } from 'react';
import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { CHILE_BOUNDS, OFFLINE_STYLE } from '../../map/chile.js';

export interface CoordinatePickerProps {
  latitude: number | null;
  longitude: number | null;
  /** A MapLibre style URL; null: the bundled offline style. */
  styleUrl: string | null;
  label: string;
  /** Said when the browser cannot draw the map. */
  unavailable: string;
  onPick(latitude: number, longitude: number): void;
}

/** Six decimals: about 10 cm, finer than a click can place. */
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export default function CoordinatePicker({ latitude, longitude, styleUrl, label, unavailable, onPick }: CoordinatePickerProps) {
  const box = useRef<HTMLDivElement>(null);
  const mapRef = useRef<maplibregl.Map | null>(null);
  const markerRef = useRef<maplibregl.Marker | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    const container = box.current;
    if (!container) return;
    let map: maplibregl.Map;
    try {
      map = new maplibregl.Map({ container, style: styleUrl ?? OFFLINE_STYLE, bounds: CHILE_BOUNDS, attributionControl: styleUrl ? undefined : false });
    } catch (err) {
      // No WebGL (an old or locked-down browser): the coordinate fields still work.
      setFailure(err instanceof Error ? err.message : String(err));
      return;
    }
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
    map.on('click', (e) => pick.current(round6(e.lngLat.lat), round6(e.lngLat.lng)));
    mapRef.current = map;
    return () => {
      markerRef.current = null;
      mapRef.current = null;
      map.remove();
    };
  }, [styleUrl]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    const valid = latitude !== null && longitude !== null && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180;
    if (!valid) {
      markerRef.current?.remove();
      markerRef.current = null;
      return;
    }
    if (!markerRef.current) {
      markerRef.current = new maplibregl.Marker({ color: '#0d2b45' }).setLngLat([longitude, latitude]).addTo(map);
      map.jumpTo({ center: [longitude, latitude], zoom: Math.max(map.getZoom(), 8) });
    } else {
      markerRef.current.setLngLat([longitude, latitude]);
    }
  }, [latitude, longitude, styleUrl]);

  if (failure) {
    return (
      <p role="alert" className="error">
        {unavailable}: {failure}
      </p>
    );
  }
  return (
    <div className="picker">
      <div ref={box} className="map" role="application" aria-label={label} data-testid="coordinate-picker" />
    </div>
  );
}
