export { AlertsPage, toQuery, DEFAULT_FILTERS, type AlertFilters } from './AlertsPage';
export { AckDialog } from './AckDialog';
