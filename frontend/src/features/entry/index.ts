export { EntryModal, validateMeasurements, serverErrors, type EntryModalProps } from './EntryModal';
