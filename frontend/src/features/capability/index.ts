export { CapabilityPanel, grade, histogramRows, type Grade } from './CapabilityPanel';
