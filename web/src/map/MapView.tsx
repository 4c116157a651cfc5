import { useEffect, useRef } from 'react';
import maplibregl, { type GeoJSONSource, type MapGeoJSONFeature } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { CHILE_BOUNDS, OFFLINE_STYLE } from './chile.js';

export interface MapPoint {
  id: number;
  title: string;
  longitude: number;
  latitude: number;
  color: string;
  statusLabel: string;
}

export interface MapViewProps {
  points: MapPoint[];
  /** A MapLibre style URL; null: the bundled offline style. */
  styleUrl: string | null;
  label: string;
  onOpen(id: number): void;
}

const SOURCE = 'points';

function collection(points: MapPoint[]): GeoJSON.FeatureCollection<GeoJSON.Point> {
  return {
    type: 'FeatureCollection',
    features: points.map((p) => ({
      type: 'Feature',
      id: p.id,
      geometry: { type: 'Point', coordinates: [p.longitude, p.latitude] },
      properties: { id: p.id, title: p.title, color: p.color, status: p.statusLabel },
    })),
  };
}

function fit(map: maplibregl.Map, points: MapPoint[]) {
  if (points.length === 0) return map.fitBounds(CHILE_BOUNDS, { padding: 20, duration: 0 });
  const b = new maplibregl.LngLatBounds();
  for (const p of points) b.extend([p.longitude, p.latitude]);
  map.fitBounds(b, { padding: 60, maxZoom: 12, duration: 0 });
}

/**
 * What is drawn now: each cluster counts its points, each lone marker one. Written on the map element
 * (data-rendered-count) beside the number of located points (data-point-count), so a check can compare them.
 */
function countRendered(map: maplibregl.Map): number {
  const seen = new Set<string>();
  let n = 0;
  for (const f of map.queryRenderedFeatures({ layers: ['clusters', 'markers'] }) as MapGeoJSONFeature[]) {
    const key = f.properties.cluster_id !== undefined ? `c${f.properties.cluster_id}` : `p${f.properties.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    n += typeof f.properties.point_count === 'number' ? f.properties.point_count : 1;
  }
  return n;
}

/** MapLibre map of the points, clustered (GeoJSON source clustering); counts on clusters as HTML markers (no glyphs needed offline). */
export default function MapView({ points, styleUrl, label, onOpen }: MapViewProps) {
  const box = useRef<HTMLDivElement>(null);
  const mapRef = useRef<maplibregl.Map | null>(null);
  const pointsRef = useRef(points);
  const openRef = useRef(onOpen);
  openRef.current = onOpen;
  pointsRef.current = points;

  useEffect(() => {
    const container = box.current!;
    const map = new maplibregl.Map({ container, style: styleUrl ?? OFFLINE_STYLE, bounds: CHILE_BOUNDS, attributionControl: styleUrl ? undefined : false });
    mapRef.current = map;
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    const counts = new Map<number, maplibregl.Marker>();

    map.on('load', () => {
      map.addSource(SOURCE, { type: 'geojson', data: collection(pointsRef.current), cluster: true, clusterRadius: 30, clusterMaxZoom: 9 });
      map.addLayer({
        id: 'clusters',
        type: 'circle',
        source: SOURCE,
        filter: ['has', 'point_count'],
        paint: { 'circle-color': '#0d2b45', 'circle-radius': 17, 'circle-stroke-width': 2, 'circle-stroke-color': '#ffffff' },
      });
      map.addLayer({
        id: 'markers',
        type: 'circle',
        source: SOURCE,
        filter: ['!', ['has', 'point_count']],
        paint: { 'circle-color': ['get', 'color'], 'circle-radius': 8, 'circle-stroke-width': 2, 'circle-stroke-color': '#ffffff' },
      });
      fit(map, pointsRef.current);
    });

    // Cluster counts: one HTML label per visible cluster, kept in step with the source.
    map.on('render', () => {
      if (!map.getSource(SOURCE) || !map.isSourceLoaded(SOURCE)) return;
      const visible = new Set<number>();
      for (const f of map.querySourceFeatures(SOURCE, { filter: ['has', 'point_count'] })) {
        const id = f.properties.cluster_id as number;
        if (visible.has(id)) continue;
        visible.add(id);
        if (!counts.has(id)) {
          const el = document.createElement('div');
          el.className = 'cluster';
          el.textContent = String(f.properties.point_count);
          el.setAttribute('aria-hidden', 'true');
          const [lon, lat] = (f.geometry as GeoJSON.Point).coordinates as [number, number];
          el.addEventListener('click', () => void zoomInto(id, [lon, lat]));
          counts.set(id, new maplibregl.Marker({ element: el }).setLngLat([lon, lat]).addTo(map));
        }
      }
      for (const [id, marker] of counts) if (!visible.has(id)) (marker.remove(), counts.delete(id));
    });
    map.on('idle', () => {
      container.dataset.renderedCount = String(countRendered(map));
    });

    const zoomInto = async (clusterId: number, center: [number, number]) => {
      const zoom = await (map.getSource(SOURCE) as GeoJSONSource).getClusterExpansionZoom(clusterId);
      map.easeTo({ center, zoom });
    };
    map.on('click', 'clusters', (e) => {
      const f = e.features?.[0];
      if (f) void zoomInto(f.properties.cluster_id as number, (f.geometry as GeoJSON.Point).coordinates as [number, number]);
    });
    map.on('click', 'markers', (e) => {
      const id = e.features?.[0]?.properties.id;
      if (typeof id === 'number') openRef.current(id);
    });
    const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false });
    map.on('mouseenter', 'markers', (e) => {
      map.getCanvas().style.cursor = 'pointer';
      const f = e.features?.[0];
      if (f) popup.setLngLat((f.geometry as GeoJSON.Point).coordinates as [number, number]).setText(`${f.properties.title} — ${f.properties.status}`).addTo(map);
    });
    map.on('mouseleave', 'markers', () => {
      map.getCanvas().style.cursor = '';
      popup.remove();
    });

    return () => {
      mapRef.current = null;
      map.remove();
    };
  }, [styleUrl]);

  useEffect(() => {
    const map = mapRef.current;
    box.current!.dataset.pointCount = String(points.length);
    const source = map?.getSource(SOURCE) as GeoJSONSource | undefined;
    if (!map || !source) return;
    source.setData(collection(points));
    fit(map, points);
  }, [points]);

  return <div ref={box} className="map" data-testid="map" role="region" aria-label={label} data-point-count={points.length} />;
}
