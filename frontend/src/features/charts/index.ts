export { ChartPanel, type ChartPanelProps } from './ChartPanel';
export { ControlChart } from './ControlChart';
export { toRows, chartLabels, type PlotRow } from './chartModel';
