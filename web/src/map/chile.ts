import type { StyleSpecification } from 'maplibre-gl';

/**
 * A coarse outline of continental Chile ([lon, lat], drawn by hand from well-known coastal towns and
 * border passes, about 60 km accurate): enough to place wells when no map tiles are reachable.
 */
const CHILE: [number, number][] = [
  [-69.5, -17.5], [-70.32, -18.47], [-70.15, -20.21], [-70.2, -22.09], [-70.4, -23.65], [-70.48, -25.4],
  [-70.62, -26.35], [-70.82, -27.07], [-71.22, -28.47], [-71.25, -29.9], [-71.51, -31.9], [-71.62, -33.03],
  [-71.61, -33.58], [-72.0, -34.39], [-72.41, -35.33], [-73.05, -36.82], [-73.65, -37.6], [-73.4, -39.8],
  [-73.9, -41.0], [-72.94, -41.47], [-74.2, -42.5], [-74.4, -43.5], [-74.8, -45.0], [-75.6, -46.5],
  [-75.5, -48.5], [-75.3, -50.5], [-74.8, -52.5], [-72.0, -54.0], [-70.0, -55.2], [-67.27, -55.98],
  [-66.9, -55.3], [-68.6, -54.9], [-68.6, -52.6], [-68.4, -52.4], [-70.0, -52.0], [-71.9, -52.0],
  [-72.3, -51.0], [-73.0, -49.0], [-72.5, -47.5], [-71.7, -46.0], [-71.8, -44.0], [-71.8, -42.0],
  [-71.6, -40.0], [-71.0, -38.0], [-70.5, -36.0], [-69.9, -34.0], [-70.1, -32.5], [-69.9, -30.5],
  [-69.0, -28.5], [-68.5, -27.0], [-68.4, -25.0], [-67.2, -23.0], [-68.1, -22.0], [-68.6, -21.0],
  [-68.6, -19.5], [-69.1, -18.0], [-69.5, -17.5],
];

/** The base layer without internet: a plain sea-coloured background and Chile's outline. */
export const OFFLINE_STYLE: StyleSpecification = {
  version: 8,
  name: 'SmartHydro offline',
  sources: {
    chile: {
      type: 'geojson',
      data: { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [CHILE] } },
    },
  },
  layers: [
    { id: 'background', type: 'background', paint: { 'background-color': '#dce9f2' } },
    { id: 'chile-land', type: 'fill', source: 'chile', paint: { 'fill-color': '#f4f1ea' } },
    { id: 'chile-border', type: 'line', source: 'chile', paint: { 'line-color': '#7a8896', 'line-width': 1 } },
  ],
};

/** Chile's extent, where the map opens when no point has coordinates. */
export const CHILE_BOUNDS: [[number, number], [number, number]] = [
  [-76, -56],
  [-66, -17],
];
