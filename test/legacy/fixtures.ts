/** A legacy dump holding the registry's messy cases, as the Django system writes them. */
export const REGISTRY_DUMP = [
  // Measurements first: files come in any order and registry rows may follow the rows that need them.
  { model: 'datastore.timeseriesdata', pk: 900, fields: { variable: 60, timestamp: '2024-01-15T12:00:00', value: { v: 1 } } },
  { model: 'core.catchmentpoint', pk: 20, fields: { project: 10, title: 'Pozo DMS', is_tdata: true, is_thethings: false, is_novus: false,
    lat: `33°26'56.3"S`, lon: `70º39'W`, frecuency: '5' } },
  { model: 'core.client', pk: 1, fields: { name: 'Agrícola Uno', rut: '76.086.428-5', address: 'Fundo 1', phone: '', email: 'a@uno.cl' } },
  { model: 'core.client', pk: 2, fields: { name: 'Agrícola Uno (copia)', rut: '76086428-5' } },
  { model: 'core.client', pk: 4, fields: { name: 'RUT malo', rut: '12.345.678-9' } },
  { model: 'core.client', pk: 5, fields: { name: 'Con K', rut: '6.882.446-k', address: 'Calle\u0000 1' } },
  { model: 'core.projectcatchments', pk: 10, fields: { name: 'Proyecto A', client: 1, code_internal: 'P-1' } },
  { model: 'core.projectcatchments', pk: 11, fields: { name: 'Proyecto del RUT malo', client: 4, code_internal: 'P-9' } },
  { model: 'core.projectcatchments', pk: 12, fields: { name: 'Proyecto A otra vez', client: 2, code_internal: 'P-1' } },
  { model: 'core.projectcatchments', pk: 13, fields: { name: 'Huérfano', client: 99, code_internal: null } },
  { model: 'core.catchmentpoint', pk: 21, fields: { project: 11, title: 'Bajo cliente rechazado', is_novus: true, lat: '-33.1', lon: '-70.1', frecuency: '1' } },
  { model: 'core.catchmentpoint', pk: 22, fields: { project: 10, title: 'Dos banderas', is_tdata: true, is_novus: true,
    lat: '33.4489', lon: '70.6693', frecuency: '15' } },
  { model: 'core.catchmentpoint', pk: 23, fields: { project: 12, title: 'Invertido', is_thethings: true, lat: '-70,6', lon: '-33,4', frecuency: '60' } },
  { model: 'core.catchmentpoint', pk: 24, fields: { project: 10, title: 'Sin coordenadas', is_novus: true, lat: 'cerca del río', lon: '', frecuency: '10' } },
  { model: 'core.profiledataconfigcatchment', pk: 30, fields: { point_catchment: 20, token_service: 'tok-secret', d1: '120,5', d2: 80, d3: null,
    d4: '', d5: 'n/a', d6: '1.234.567', is_telemetry: true, date_start_telemetry: '2023-03-01', addition: '0' } },
  { model: 'core.profiledataconfigcatchment', pk: 31, fields: { point_catchment: 22, is_telemetry: true, addition: '1500,5' } },
  { model: 'core.profiledataconfigcatchment', pk: 32, fields: { point_catchment: 21, is_telemetry: true } },
  { model: 'core.dgadataconfigcatchment', pk: 40, fields: { point_catchment: 20, send_dga: true, standard: 'SIN_ESTANDAR', type_dga: 'SUBTERRANEO',
    code_dga: 'OB-0602-7', flow_granted_dga: '12,5', total_granted_dga: '1.394.200', shac: 'SHAC-1', rut_report_dga: '76.086.428-5',
    password_dga_software: 'clave-dga' } },
  { model: 'core.dgadataconfigcatchment', pk: 41, fields: { point_catchment: 22, send_dga: false, standard: 'MEDIO', code_dga: 'pozo 3',
    rut_report_dga: '1-1' } },
  { model: 'core.variable', pk: 60, fields: { scheme_catchment: 50, str_variable: 'lvl', label: 'Nivel freático', type_variable: 'NIVEL',
    service: 'twin', pulses_factor: 1, convert_to_lt: false, calculate_nivel: 100 } },
  { model: 'core.variable', pk: 61, fields: { scheme_catchment: 50, str_variable: 'tot', label: 'Totalizador', type_variable: 'TOTALIZADO',
    pulses_factor: 10, calculate_nivel: null } },
  { model: 'core.variable', pk: 62, fields: { scheme_catchment: 50, str_variable: 'temp', type_variable: 'TEMPERATURA' } },
  { model: 'core.variable', pk: 63, fields: { scheme_catchment: 50, str_variable: 'lvl2', type_variable: 'NIVEL' } },
  { model: 'core.variable', pk: 64, fields: { scheme_catchment: 51, str_variable: 'q', type_variable: 'CAUDAL' } },
  { model: 'core.variable', pk: 65, fields: { scheme_catchment: 52, str_variable: 'q', type_variable: 'CAUDAL', convert_to_lt: true } },
  { model: 'core.schemescatchment', pk: 50, fields: { name: 'Pozo con nivel', points_catchment: [20] } },
  { model: 'core.schemescatchment', pk: 51, fields: { name: 'Del cliente rechazado', points_catchment: [21] } },
  { model: 'core.schemescatchment', pk: 52, fields: { name: 'Compartido', points_catchment: [22, 23, 21] } },
];

/**
 * Readings of the registry's points, with the measurement cases: string totals, naive and zoned timestamps,
 * error rows, vouchers, both tables agreeing and disagreeing, an ambiguous scheme, unusable rows.
 * Point 20 (Pozo DMS) is a MAYOR well with código OB-0602-7 and variables nivel (60) and totalizador (61).
 */
export const MEASUREMENT_ROWS = [
  // 12:00 Santiago (summer, UTC−3) = 15:00Z; a receipt from the legacy system.
  { model: 'core.interactiondetail', pk: 1000, fields: { catchment_point: 20, date_time_medition: '2024-01-15T12:00:00', flow: 12.5,
    total: '1.234.567,5', nivel: 35.2, is_error: false, n_voucher: 'C-1001', return_dga: { status: '00', message: 'ok' } } },
  { model: 'core.interactiondetail', pk: 1001, fields: { catchment_point: 20, date_time_medition: '2024-01-15T13:00:00-03:00', flow: '12,7',
    total: '1234600', nivel: 35.1, is_error: true, n_voucher: '' } },
  { model: 'core.interactiondetail', pk: 1002, fields: { catchment_point: 20, date_time_medition: '2024-01-15T17:00:00Z', flow: 13, total: '',
    nivel: null, n_voucher: null } },
  { model: 'core.interactiondetail', pk: 1003, fields: { catchment_point: 20, date_time_medition: '2024-01-15T15:00:00', flow: null, total: 'abc', nivel: '' } },
  { model: 'core.interactiondetail', pk: 1004, fields: { catchment_point: 20, date_time_medition: 'ayer', flow: 1 } },
  { model: 'core.interactiondetail', pk: 1005, fields: { catchment_point: 21, date_time_medition: '2024-01-15T12:00:00', flow: 1 } },
  // The same reading twice in InteractionDetail, with the same voucher.
  { model: 'core.interactiondetail', pk: 1006, fields: { catchment_point: 20, date_time_medition: '2024-01-15T12:00:00', flow: 12.5,
    total: '1234567,5', nivel: 35.2, n_voucher: 'C-1001' } },
  // A voucher on a point without DGA configuration.
  { model: 'core.interactiondetail', pk: 1007, fields: { catchment_point: 24, date_time_medition: '2024-01-15T12:00:00', flow: 3, n_voucher: 'C-9' } },
  // Outside what the platform keeps: older than RETENTION_DAYS (10 years by default), and in the future.
  { model: 'core.interactiondetail', pk: 1008, fields: { catchment_point: 20, date_time_medition: '1990-01-01T00:00:00Z', flow: 3 } },
  { model: 'core.interactiondetail', pk: 1009, fields: { catchment_point: 20, date_time_medition: '2099-01-01T00:00:00Z', flow: 3, n_voucher: 'C-F' } },
  // TimeSeriesData: 900 (in REGISTRY_DUMP) is nivel 1 at 12:00 Santiago, where InteractionDetail says 35.2 → conflict.
  { model: 'datastore.timeseriesdata', pk: 901, fields: { variable: 61, timestamp: '2024-01-15T12:00:00', value: '1234567.5004' } },
  { model: 'datastore.timeseriesdata', pk: 902, fields: { variable: 61, timestamp: '2024-01-15T19:00:00Z', value: { value: 1234700 } } },
  { model: 'datastore.timeseriesdata', pk: 903, fields: { variable: 65, timestamp: '2024-01-15T19:00:00Z', value: 4 } },
  { model: 'datastore.timeseriesdata', pk: 904, fields: { variable: 62, timestamp: '2024-01-15T19:00:00Z', value: 20 } },
  { model: 'datastore.timeseriesdata', pk: 905, fields: { variable: 60, timestamp: null, value: 20 } },
];
